// The operators' lists that change: messages, poison tasks, suspensions.
import { operation, pathParam, queryParam } from './operation';
import { messageSchema, ref } from './schemas';

const nullable = (type: string) => ({ type: [type, 'null'] });
const kind = pathParam('kind', 'destination or smartHost', 'destination');
const name = pathParam('name', 'a destination of the policy, or one of its smart hosts (`default` is the SMARTHOST_* one)', 'jp-docomo');

export const LIST_SCHEMAS = {
  MessageSummary: messageSchema({
    recipients: {
      type: 'object',
      required: ['count', 'byStatus'],
      properties: { count: { type: 'integer' }, byStatus: { type: 'object', additionalProperties: { type: 'integer' } } },
    },
    recipient: { type: 'object', description: "with ?recipient=: that recipient's own state" },
  }),
  MessagePage: {
    type: 'object',
    required: ['items', 'continuationToken'],
    properties: { items: { type: 'array', items: ref('MessageSummary') }, continuationToken: nullable('string') },
  },
  PoisonPage: {
    type: 'object',
    required: ['items', 'continuationToken'],
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'messageId', 'recipient', 'attempts', 'poisonedAt', 'lastResponse'],
          properties: {
            id: { type: 'string' },
            messageId: { type: 'string' },
            recipient: { type: 'string' },
            attempts: { type: 'integer' },
            poisonedAt: { type: 'string', format: 'date-time' },
            lastResponse: nullable('string'),
          },
        },
      },
      continuationToken: nullable('string'),
    },
  },
  RequeueRequest: {
    description: 'the poison records to put back: by id, or all (up to a cap; `more` says when some are left)',
    oneOf: [
      { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: { type: 'array', items: { type: 'string' }, minItems: 1 } } },
      { type: 'object', additionalProperties: false, required: ['all'], properties: { all: { const: true } } },
    ],
  },
  RequeueAnswer: {
    type: 'object',
    required: ['requeued', 'ids', 'skipped', 'failed', 'more'],
    properties: {
      requeued: { type: 'integer' },
      ids: { type: 'array', items: { type: 'string' } },
      skipped: { type: 'array', items: { type: 'object' } },
      failed: { type: 'array', items: { type: 'object' } },
      more: { type: 'boolean' },
    },
  },
  Suspension: {
    type: 'object',
    required: ['kind', 'name', 'reason', 'source', 'rule', 'rateFactor', 'createdAt', 'until'],
    properties: {
      kind: { type: 'string', enum: ['destination', 'smartHost'] },
      name: { type: 'string' },
      reason: { type: 'string' },
      source: { type: 'string', enum: ['reaction', 'manual'] },
      rule: nullable('string'),
      rateFactor: { type: ['number', 'null'], description: "a slow-down's factor on the rate; null: nothing is sent until `until`" },
      createdAt: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time' },
    },
  },
  SuspensionRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    description: 'give `until` or `duration`',
    properties: {
      reason: { type: 'string', minLength: 1 },
      until: { type: 'string', format: 'date-time' },
      duration: { type: 'string', description: 'e.g. "30m", "1h", "2d" (at most 30 days)' },
      rateFactor: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    },
  },
};

export const LIST_PATHS = {
  '/api/v1/messages': {
    get: operation({
      id: 'listMessages',
      summary: 'Messages, newest first, from the time index (no scan of the deliveries table)',
      tags: ['Operators'],
      auth: 'operator',
      parameters: [
        queryParam('status', 'queued or completed', { type: 'string', enum: ['queued', 'completed'] }),
        queryParam('recipient', 'only messages to this address'),
        queryParam('from', 'only messages from this address'),
        queryParam('since', 'accepted at or after (ISO time, within 400 days)', { type: 'string', format: 'date-time' }),
        queryParam('until', 'accepted before (ISO time)', { type: 'string', format: 'date-time' }),
        queryParam('limit', 'page size', { type: 'integer', minimum: 1 }),
        queryParam('continuationToken', 'from the previous page, with the same filters'),
        {
          name: 'tag.{name}',
          in: 'query',
          required: false,
          description: 'only messages with this tag value, e.g. tag.campaign=winter',
          schema: { type: 'string' },
        },
      ],
      ok: { '200': { description: 'a page; follow the token until it is null', schema: ref('MessagePage') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized' },
    }),
  },
  '/api/v1/poison': {
    get: operation({
      id: 'listPoison',
      summary: 'Tasks the relay gave up on after repeated crashes, kept to be put back',
      tags: ['Operators'],
      auth: 'operator',
      parameters: [queryParam('limit', 'page size', { type: 'integer', minimum: 1 }), queryParam('continuationToken', 'from the previous page')],
      ok: { '200': { description: 'a page', schema: ref('PoisonPage') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized' },
    }),
  },
  '/api/v1/poison/requeue': {
    post: operation({
      id: 'requeuePoison',
      summary: 'Put poison tasks back on the queue; a recipient already final is skipped',
      tags: ['Operators'],
      auth: 'operator',
      body: { mediaType: 'application/json', schema: ref('RequeueRequest'), examples: { all: { all: true } } },
      ok: { '200': { description: 'what was put back, skipped or failed', schema: ref('RequeueAnswer') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '413': 'TooLarge', '415': 'UnsupportedMediaType' },
    }),
  },
  '/api/v1/suspensions': {
    get: operation({
      id: 'listSuspensions',
      summary: 'Suspended or slowed destinations and smart hosts in force',
      tags: ['Operators'],
      auth: 'operator',
      ok: {
        '200': {
          description: 'every one in force',
          schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Suspension') } } },
        },
      },
      errors: { '400': 'BadRequest', '401': 'Unauthorized' },
    }),
  },
  '/api/v1/suspensions/{kind}/{name}': {
    put: operation({
      id: 'putSuspension',
      summary: 'Suspend (or, with rateFactor, slow) a destination or the smart host until a time',
      tags: ['Operators'],
      auth: 'operator',
      parameters: [kind, name],
      body: {
        mediaType: 'application/json',
        schema: ref('SuspensionRequest'),
        examples: { maintenance: { reason: 'carrier maintenance window', duration: '1h' } },
      },
      ok: {
        '200': { description: 'replaced', schema: ref('Suspension') },
        '201': { description: 'created', schema: ref('Suspension') },
      },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '404': 'NotFound', '413': 'TooLarge', '415': 'UnsupportedMediaType', '422': 'UnknownTarget' },
    }),
    delete: operation({
      id: 'deleteSuspension',
      summary: 'Lift a suspension; held recipients go on within RELAY_HOLD_RECHECK_SECONDS',
      tags: ['Operators'],
      auth: 'operator',
      parameters: [kind, name],
      ok: { '204': { description: 'lifted' } },
      errors: { '401': 'Unauthorized', '404': 'NotFound' },
    }),
  },
};
