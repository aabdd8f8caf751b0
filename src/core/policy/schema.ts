// The policy file's JSON Schema: its keys, their types and which are required. Formats with words
// of their own ("30/min", "4h", "Asia/Tokyo", a regex) are checked after it, in check.ts, so that an
// error can say how to write the value. `x-problem` and `x-unknown` are this project's annotations:
// the words check.ts puts after a failed pattern and after an unknown key.

/**
 * Keys the contract names for later versions: refused with words saying so, not as typos. Empty
 * since routing, DKIM and charsets came; kept for the next key the contract names ahead of its version.
 */
export const LATER_KEYS: Readonly<Record<string, string>> = {};

const NAME = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
  'x-problem': 'is not a name (lower-case letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63)',
};

/** The name of an app setting (an environment variable), never its value: the secret stays in the setting. */
export const SETTING_NAME = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
  'x-problem':
    'is not a setting name (letters, digits and "_", not starting with a digit, at most 128): name the app setting that holds the secret, not the secret',
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

// `default` takes the limits only (the SMARTHOST_* settings are its connection): resolve.ts says so
// when it is given a connection key, rather than an "unknown key".
const SMART_HOST = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    auth: { enum: ['login', 'plain', 'xoauth2'] },
    username: { type: 'string', minLength: 1 },
    passwordSetting: SETTING_NAME,
    oauthScope: { type: 'string', minLength: 1 },
    identityClientId: {
      type: 'string',
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      'x-problem': "is not a managed identity's client id (a GUID)",
    },
    poolSize: { type: 'integer', minimum: 1, maximum: 100 },
    profile: { type: 'string' },
    rate: RATE,
    concurrency: COUNT,
  },
};

const NAME_LIST = { type: 'array', items: { type: 'string' }, minItems: 1 };

const ROUTE = {
  type: 'object',
  additionalProperties: false,
  required: ['smartHosts'],
  properties: {
    match: {
      type: 'object',
      additionalProperties: false,
      properties: {
        recipientDomains: NAME_LIST,
        destinations: NAME_LIST,
        senderDomains: NAME_LIST,
        tags: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    smartHosts: NAME_LIST,
    warmupOverflow: { type: 'boolean' },
  },
};

/** `dkim.<sender domain>`: the domain is checked in resolveDkim.ts, where it is made lower case and A-label. */
const DKIM_DOMAIN = {
  type: 'object',
  additionalProperties: false,
  required: ['selector', 'privateKeySetting'],
  properties: {
    selector: {
      type: 'string',
      pattern: '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
      'x-problem': 'is not a selector (one DNS label: letters, digits and inner hyphens, at most 63, e.g. "relay2026")',
    },
    privateKeySetting: SETTING_NAME,
  },
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
    smartHosts: { type: 'object', propertyNames: NAME, additionalProperties: SMART_HOST },
    routes: { type: 'array', items: ROUTE },
    warmup: {
      type: 'object',
      additionalProperties: false,
      properties: {
        senders: { type: 'object', additionalProperties: WARMUP_PLAN },
        smartHosts: { type: 'object', additionalProperties: WARMUP_PLAN },
      },
    },
    reactions: { type: 'array', items: REACTION },
    dkim: { type: 'object', additionalProperties: DKIM_DOMAIN },
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
