// The operators' endpoints: suppressions, senders, the DSN upload and the dashboard's numbers.
import { operation, pathParam, queryParam } from './operation';
import { ref } from './schemas';

const address = pathParam('address', 'the recipient address, as is or percent-encoded', 'taro@example.net');
const domain = pathParam('domain', 'a sender domain', 'example.jp');

export const DSN_EXAMPLE = [
  'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
  'To: bounces@example.jp',
  'Subject: Undelivered Mail Returned to Sender',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain',
  '',
  'Your message could not be delivered.',
  '--b',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.net',
  '',
  'Final-Recipient: rfc822; nobody@example.net',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
  '--b--',
  '',
].join('\r\n');

export const OPERATOR_PATHS = {
  '/api/v1/suppressions': {
    get: operation({
      id: 'listSuppressions',
      summary: 'The suppression list, a page at a time',
      tags: ['Suppressions'],
      auth: 'operator',
      parameters: [
        queryParam('domain', 'only addresses at this recipient domain'),
        queryParam('source', 'bounce, complaint, unsubscribe or manual', { type: 'string', enum: ['bounce', 'complaint', 'unsubscribe', 'manual'] }),
        queryParam('limit', '1 to 1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 }),
        queryParam('continuationToken', 'from the previous page'),
      ],
      ok: { '200': { description: 'a page; follow the token until it is null', schema: ref('SuppressionPage') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized' },
    }),
  },
  '/api/v1/suppressions/{address}': {
    get: operation({
      id: 'getSuppression',
      summary: "An address's suppression entries",
      tags: ['Suppressions'],
      auth: 'operator',
      parameters: [address],
      ok: { '200': { description: 'the entry for every sender if there is one, else the first, and all of them', schema: ref('SuppressionOfAddress') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '404': 'NotFound' },
    }),
    put: operation({
      id: 'putSuppression',
      summary: 'Add or replace a manual entry',
      tags: ['Suppressions'],
      auth: 'operator',
      parameters: [address],
      body: { mediaType: 'application/json', schema: ref('ManualSuppression'), examples: { manual: { reason: 'asked by phone' } } },
      ok: {
        '200': { description: 'replaced', schema: ref('Suppression') },
        '201': { description: 'created', schema: ref('Suppression') },
      },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '413': 'TooLarge', '415': 'UnsupportedMediaType' },
    }),
    delete: operation({
      id: 'deleteSuppression',
      summary: "Remove an address's entries (or one scope's, with ?scope=)",
      tags: ['Suppressions'],
      auth: 'operator',
      parameters: [address, queryParam('scope', 'only the entry of this scope')],
      ok: { '204': { description: 'removed' } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '404': 'NotFound' },
    }),
  },
  '/api/v1/senders/{domain}': {
    get: operation({
      id: 'getSenderStatus',
      summary: "A sender domain's bounce and complaint rates, and its pause",
      tags: ['Senders'],
      auth: 'operator',
      parameters: [domain],
      ok: { '200': { description: 'the view', schema: ref('Sender') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '404': 'NotFound' },
    }),
  },
  '/api/v1/senders/{domain}/pause': {
    post: operation({
      id: 'pauseSender',
      summary: 'Pause a sender domain: its mail is accepted and held',
      tags: ['Senders'],
      auth: 'operator',
      parameters: [domain],
      body: { mediaType: 'application/json', schema: ref('PauseRequest'), examples: { investigation: { reason: 'looking into complaints' } } },
      ok: { '200': { description: 'the view', schema: ref('Sender') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '404': 'NotFound', '413': 'TooLarge', '415': 'UnsupportedMediaType' },
    }),
  },
  '/api/v1/senders/{domain}/resume': {
    post: operation({
      id: 'resumeSender',
      summary: 'Lift a pause; counting starts again',
      tags: ['Senders'],
      auth: 'operator',
      parameters: [domain],
      ok: { '200': { description: 'the view', schema: ref('Sender') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '404': 'NotFound' },
    }),
  },
  '/api/v1/events/dsn': {
    post: operation({
      id: 'receiveDsn',
      summary: 'Upload one delivery status notification as received',
      tags: ['Events'],
      auth: 'operator',
      body: { mediaType: 'message/rfc822', schema: { type: 'string' }, examples: { bounce: DSN_EXAMPLE } },
      ok: { '200': { description: 'what it changed', schema: ref('DsnAnswer') } },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '413': 'TooLarge', '415': 'UnsupportedMediaType', '422': 'Unprocessable' },
    }),
  },
  '/api/v1/stats': {
    get: operation({
      id: 'getStats',
      summary: "The dashboard's numbers: outcomes per hour, by destination and domain, categories, latest problems",
      tags: ['Operators'],
      auth: 'operator',
      parameters: [queryParam('hours', '1 to 168, default 24', { type: 'integer', minimum: 1, maximum: 168 })],
      ok: {
        '200': {
          description: 'counts of outcomes (event rows) over the window',
          schema: {
            type: 'object',
            required: ['generatedAt', 'hours', 'perHour', 'totals', 'latestProblems', 'coolOffs'],
            properties: {
              coolOffs: {
                type: 'array',
                description: 'smart hosts skipped now because they kept failing (RELAY_SMARTHOST_COOLOFF_FAILURES in a row), until `until`',
                items: {
                  type: 'object',
                  required: ['smartHost', 'until', 'failures', 'since', 'reason'],
                  properties: {
                    smartHost: { type: 'string' },
                    until: { type: 'string', format: 'date-time' },
                    failures: { type: 'integer' },
                    since: { type: 'string', format: 'date-time', description: 'when the run of failures began' },
                    reason: { type: 'string', description: 'the last failure counted' },
                  },
                },
              },
            },
          },
        },
      },
      errors: { '400': 'BadRequest', '401': 'Unauthorized' },
    }),
  },
  '/api/dashboard': {
    get: operation({
      id: 'dashboard',
      summary: "The operators' dashboard (HTML); open it with ?code=<operator key>",
      tags: ['Operators'],
      auth: 'operator',
      parameters: [
        queryParam('lang', "the page's language; without it (or for another value) the page's switch's remembered choice, then Accept-Language, then en", {
          type: 'string',
          enum: ['en', 'ja'],
        }),
      ],
      ok: { '200': { description: 'the page', schema: { type: 'string' }, mediaType: 'text/html' } },
      errors: { '401': 'Unauthorized' },
    }),
  },
};
