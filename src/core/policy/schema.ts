// The policy file's JSON Schema: its keys, their types and which are required. Formats with words
// of their own ("30/min", "4h", "Asia/Tokyo", a regex) are checked after it, in check.ts, so that an
// error can say how to write the value. `x-problem` and `x-unknown` are this project's annotations:
// the words check.ts puts after a failed pattern and after an unknown key.

/** Keys the contract names for later versions: refused with words saying so, not as typos. */
export const LATER_KEYS: Readonly<Record<string, string>> = {
  routes: 'routing comes with a later version',
  dkim: 'DKIM signing comes with a later version',
  host: 'smart hosts other than the SMARTHOST_* settings come with routing, in a later version',
  port: 'smart hosts other than the SMARTHOST_* settings come with routing, in a later version',
  auth: 'smart hosts other than the SMARTHOST_* settings come with routing, in a later version',
  username: 'smart hosts other than the SMARTHOST_* settings come with routing, in a later version',
  passwordSetting: 'smart hosts other than the SMARTHOST_* settings come with routing, in a later version',
};

const NAME = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
  'x-problem': 'is not a name (lower-case letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63)',
};

const RATE = { type: ['string', 'array'], items: { type: 'string' }, minItems: 1 };
const DURATION = { type: ['string', 'integer'] };
const COUNT = { type: 'integer', minimum: 1 };

const HOURS = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to', 'timeZone'],
  properties: { from: { type: 'string' }, to: { type: 'string' }, timeZone: { type: 'string' } },
};

const DESTINATION = {
  type: 'object',
  additionalProperties: false,
  properties: {
    domains: { type: 'array', items: { type: 'string' } },
    preset: { type: 'string' },
    rate: RATE,
    concurrency: COUNT,
    hours: HOURS,
    lifetime: DURATION,
    maxMessageBytes: COUNT,
    charset: { type: 'string' },
  },
};

const SMART_HOST = {
  type: 'object',
  additionalProperties: false,
  properties: { profile: { type: 'string' }, rate: RATE, concurrency: COUNT },
};

const WARMUP_STEP = {
  type: 'object',
  additionalProperties: false,
  required: ['day'],
  properties: { day: { type: 'integer', minimum: 0 }, perHour: COUNT, perDay: COUNT },
};

const WARMUP_PLAN = {
  type: 'object',
  additionalProperties: false,
  required: ['start', 'schedule'],
  properties: {
    start: { type: 'string' },
    schedule: { type: ['string', 'array'], items: WARMUP_STEP, minItems: 1 },
  },
};

const REACTION = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'match', 'action', 'target', 'duration'],
  properties: {
    name: NAME,
    match: { type: 'string', minLength: 1 },
    destinations: { type: 'array', items: { type: 'string' }, minItems: 1 },
    threshold: { type: 'string' },
    action: { enum: ['suspend', 'slow'] },
    target: { enum: ['destination', 'smartHost'] },
    rateFactor: { type: 'number' },
    duration: DURATION,
  },
};

export const POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    builtIn: {
      type: ['boolean', 'object'],
      additionalProperties: false,
      properties: { destinations: { type: 'boolean' }, reactions: { type: 'boolean' } },
    },
    destinations: { type: 'object', propertyNames: NAME, additionalProperties: DESTINATION },
    smartHosts: {
      type: 'object',
      additionalProperties: false,
      'x-unknown': 'only "default" (the SMARTHOST_* smart host) takes limits in this version; more smart hosts come with routing',
      properties: { default: SMART_HOST },
    },
    warmup: {
      type: 'object',
      additionalProperties: false,
      properties: {
        senders: { type: 'object', additionalProperties: WARMUP_PLAN },
        smartHosts: {
          type: 'object',
          additionalProperties: false,
          'x-unknown': 'only "default" (the SMARTHOST_* smart host) can be warmed up in this version',
          properties: { default: WARMUP_PLAN },
        },
      },
    },
    reactions: { type: 'array', items: REACTION },
  },
} as const;

/** The schema for editors (relay-policy.schema.json, which a policy file names in "$schema"): without this project's annotations. */
export function editorSchema(): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !key.startsWith('x-'))
        .map(([key, v]) => [key, strip(v)]),
    );
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'relay-policy.json: the delivery policy (docs/policy.md)',
    ...(strip(POLICY_SCHEMA) as object),
  };
}
