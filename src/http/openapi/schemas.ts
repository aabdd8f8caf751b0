// The OpenAPI document's shared parts: schemas of the bodies the relay takes and answers, the
// problem+json answers, and the credentials. JSON Schema 2020-12, as OpenAPI 3.1 uses it.
import { CATEGORIES } from '../../core/categories';

type Schema = Record<string, unknown>;

const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const ADDRESS: Schema = {
  description: '"user@example.jp", "Name <user@example.jp>" or {"address", "name"}; display names any Unicode, domains as A- or U-labels',
  oneOf: [
    { type: 'string', minLength: 3 },
    { type: 'object', required: ['address'], additionalProperties: false, properties: { address: { type: 'string' }, name: { type: 'string' } } },
  ],
};

/** A message as the status answer and the operators' list both show it; `recipients` differs between them. */
export function messageSchema(extra: Record<string, Schema>): Schema {
  return {
    type: 'object',
    required: ['id', 'status', 'createdAt', 'updatedAt', 'from', 'subject', 'tags', 'recipients'],
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: ['queued', 'completed'] },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      from: { type: 'string' },
      subject: { type: 'string' },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
      ...extra,
    },
  };
}

const RECIPIENT_STATUS = ['queued', 'sending', 'deferred', 'sent', 'bounced', 'failed', 'suppressed'];

export const SCHEMAS: Record<string, Schema> = {
  Address: ADDRESS,
  Addresses: { oneOf: [ref('Address'), { type: 'array', items: ref('Address'), minItems: 1 }] },
  Category: { type: 'string', enum: [...CATEGORIES], description: 'why a recipient ended as it did (docs/bounce-rules.md)' },
  SendRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['from', 'subject'],
    properties: {
      from: ref('Address'),
      to: ref('Addresses'),
      cc: ref('Addresses'),
      bcc: ref('Addresses'),
      replyTo: ref('Addresses'),
      subject: { type: 'string', description: 'any Unicode, no CR or LF' },
      text: { type: 'string' },
      html: { type: 'string' },
      headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'custom headers; relay-owned ones are refused' },
      attachments: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['filename', 'content'],
          properties: {
            filename: { type: 'string' },
            content: { type: 'string', contentEncoding: 'base64' },
            contentType: { type: 'string' },
            contentId: { type: 'string' },
          },
        },
      },
      tags: { type: 'object', additionalProperties: { type: 'string' }, description: 'stored with the results, never sent' },
      unsubscribe: { type: ['boolean', 'null'], description: 'true adds RFC 8058 one-click unsubscribe headers per recipient' },
    },
  },
  AcceptAnswer: {
    type: 'object',
    required: ['id', 'status', 'recipients'],
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: ['queued', 'completed'] },
      recipients: {
        type: 'array',
        items: {
          type: 'object',
          required: ['address', 'status'],
          properties: { address: { type: 'string' }, status: { type: 'string', enum: ['queued', 'suppressed', 'bounced'] } },
        },
      },
    },
  },
  Recipient: {
    type: 'object',
    required: ['address', 'status', 'attempts', 'smtpCode', 'enhancedCode', 'response', 'category', 'updatedAt', 'nextAttemptAt', 'heldBy', 'smartHost'],
    properties: {
      address: { type: 'string' },
      status: { type: 'string', enum: RECIPIENT_STATUS },
      attempts: { type: 'integer', minimum: 0 },
      smtpCode: nullable('integer'),
      enhancedCode: nullable('string'),
      response: nullable('string'),
      category: { oneOf: [ref('Category'), { type: 'null' }] },
      updatedAt: { type: 'string', format: 'date-time' },
      nextAttemptAt: nullable('string', { format: 'date-time' }),
      heldBy: nullable('string', { description: 'the delivery policy holding it back, e.g. sender-paused:example.jp' }),
      smartHost: nullable('string', {
        description: 'the smart host (policy name; `default` is the SMARTHOST_* one) that handled its last attempt; null before the first',
      }),
    },
  },
  Message: messageSchema({ recipients: { type: 'array', items: ref('Recipient') } }),
  Suppression: {
    type: 'object',
    required: ['address', 'scope', 'reason', 'category', 'source', 'createdAt', 'expiresAt', 'messageId'],
    properties: {
      address: { type: 'string' },
      scope: { type: 'string', description: '"all" or the sender domain it applies to' },
      reason: { type: 'string' },
      category: { oneOf: [ref('Category'), { type: 'null' }] },
      source: { type: 'string', enum: ['bounce', 'complaint', 'unsubscribe', 'manual'] },
      createdAt: { type: 'string', format: 'date-time' },
      expiresAt: nullable('string', { format: 'date-time' }),
      messageId: nullable('string'),
    },
  },
  SuppressionOfAddress: {
    allOf: [ref('Suppression'), { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: ref('Suppression') } } }],
  },
  SuppressionPage: {
    type: 'object',
    required: ['items', 'continuationToken'],
    properties: { items: { type: 'array', items: ref('Suppression') }, continuationToken: nullable('string') },
  },
  ManualSuppression: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      reason: { type: 'string', minLength: 1, maxLength: 500 },
      expiresAt: { type: 'string', format: 'date-time', description: 'in the future, with an offset' },
      scope: { type: 'string', description: '"all" (default) or a sender domain' },
    },
  },
  Sender: {
    type: 'object',
    required: [
      'domain',
      'state',
      'windowStart',
      'attempts',
      'hardBounces',
      'complaints',
      'bounceRate',
      'complaintRate',
      'pausedAt',
      'pausedReason',
      'resumedAt',
      'thresholds',
    ],
    properties: {
      domain: { type: 'string' },
      state: { type: 'string', enum: ['active', 'warning', 'paused'] },
      windowStart: { type: 'string', format: 'date-time' },
      attempts: { type: 'integer' },
      hardBounces: { type: 'integer' },
      complaints: { type: 'integer' },
      bounceRate: { type: 'number', description: 'percent of attempts' },
      complaintRate: { type: 'number', description: 'percent of attempts' },
      pausedAt: nullable('string', { format: 'date-time' }),
      pausedReason: nullable('string'),
      resumedAt: nullable('string', { format: 'date-time' }),
      thresholds: { type: 'object' },
    },
  },
  PauseRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { reason: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  EventsAnswer: {
    type: 'object',
    required: ['received', 'applied', 'unchanged', 'unmatched', 'skipped'],
    properties: {
      received: { type: 'integer' },
      applied: { type: 'integer' },
      unchanged: { type: 'integer' },
      unmatched: { type: 'integer' },
      skipped: { type: 'integer' },
    },
  },
  DsnAnswer: {
    type: 'object',
    required: ['recipients', 'applied', 'unchanged', 'unmatched'],
    properties: { recipients: { type: 'integer' }, applied: { type: 'integer' }, unchanged: { type: 'integer' }, unmatched: { type: 'integer' } },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; `type` is urn:azure-smtp-relay:problem:<code> (docs/api.md "Problem types")',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      errors: {
        type: 'array',
        items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
      },
    },
  },
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

/** The error answers, by status; an operation lists those it gives. */
export const RESPONSES: Record<string, Schema> = {
  BadRequest: problem('invalid-request: the body, a field, a path or a query parameter is not valid; `errors` names each field'),
  Unauthorized: { description: 'no key, a wrong key, or a sender key on an operator endpoint (the Functions host answers with no body)' },
  WebhookUnauthorized: problem('unauthorized: the signature, secret or token is missing or wrong'),
  Forbidden: problem('sender-not-allowed: the From domain is not in RELAY_ALLOWED_SENDER_DOMAINS'),
  NotFound: problem('not-found'),
  Conflict: problem('idempotency-conflict: the Idempotency-Key was used with another body, or its first request is still in progress'),
  TooLarge: problem('payload-too-large'),
  UnsupportedMediaType: problem('unsupported-media-type'),
  Unprocessable: problem('unprocessable: a mail message that is no DSN, or holds no per-recipient report'),
  PageTooLarge: {
    description: 'payload-too-large: an HTML page, or problem+json when Accept asks for JSON',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/problem+json': { schema: ref('Problem') } },
  },
  LinkNotFound: {
    description: 'not-found: a token this relay did not sign, or one altered or cut short: an HTML page, or problem+json when Accept asks for JSON',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/problem+json': { schema: ref('Problem') } },
  },
  NotConfigured: problem('not-configured: the endpoint needs a setting that is unset'),
  UnknownTarget: problem('unprocessable: the name is no destination of the policy (nor the smart host `default`)'),
};

export const SECURITY_SCHEMES: Record<string, Schema> = {
  senderKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-functions-key',
    description: 'a function or host key (locally RELAY_LOCAL_FUNCTION_KEY); also accepted as the `code` query parameter',
  },
  operatorKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-functions-key',
    description: "the app's master (admin) key (locally RELAY_LOCAL_ADMIN_KEY); also accepted as the `code` query parameter; a sender key gets 401",
  },
  sendGridApiKey: { type: 'http', scheme: 'bearer', description: 'RELAY_SENDGRID_API_KEY, as a SendGrid client sends its API key' },
  acsHmac: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      'HMAC-SHA256 as Azure Communication Services signs: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=…` with the base64-decoded RELAY_ACS_ACCESS_KEY',
  },
  sendGridSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Twilio-Email-Event-Webhook-Signature',
    description: 'ECDSA P-256 over the timestamp (X-Twilio-Email-Event-Webhook-Timestamp) and the body, checked with RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY',
  },
  acsEventsSecret: {
    type: 'apiKey',
    in: 'header',
    name: 'x-relay-events-secret',
    description: 'RELAY_ACS_EVENTS_SECRET, or the `secret` query parameter',
  },
};

export { ref };
