// Every HTTP endpoint of the relay: its methods, route and authLevel, who may call it, how its errors
// come and a valid request of each (the base bad input is made from). endpointBadInput.test.ts holds
// this table against the registrations the app really makes: an endpoint without a row fails there.
import { ADMIN_KEY, FUNCTION_KEY } from '../support/relayHarness';

/** How a caller proves who it is: a function key, the operator's (master) key, or the endpoint's own check. */
export type Caller =
  'sender-key' | 'operator-key' | 'sendgrid-signature' | 'acs-secret' | 'unsubscribe-token' | 'acs-signature' | 'sendgrid-api-key' | 'anyone';

/**
 * What an endpoint's own error answers are: problem+json, an HTML page unless the caller asks for
 * JSON, ACS's {"error"} (the ACS drop-in), or SendGrid's {"errors": [{"message", "field", "help"}]}
 * (the SendGrid drop-in).
 */
export type ErrorBody = 'problem' | 'page' | 'acs' | 'sendgrid';

/** A request as the suite sends it; `key` is the x-functions-key header (null: none). */
export interface Ask {
  method: string;
  path: string;
  key?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** What the suite's live fixtures are, for the requests that need them. */
export interface Fixtures {
  /** a message the relay sent before the bad input, and its recipient */
  messageId: string;
  recipient: string;
  /** an unsubscribe token the relay would take for that recipient */
  token: string;
  signed(body: string): Record<string, string>;
  signedBy(body: string, options: { other?: boolean; timestamp?: number }): Record<string, string>;
  /** a token signed with a secret the relay does not hold, for the same recipient */
  forgedToken: string;
  acsSecret: string;
  dsn: Buffer;
  /** ACS access-key headers for a request to `path` on the relay, signed now (or at `date`) with its key (or `key`) */
  acsSigned(method: string, path: string, body?: string | Buffer, options?: { key?: string; date?: Date }): Record<string, string>;
}

export interface Endpoint {
  name: string;
  methods: readonly string[];
  route: string;
  authLevel: 'anonymous' | 'function' | 'admin';
  caller: Caller;
  errors: ErrorBody;
  /** a request this endpoint takes, were its credential right: the base bad input is made from */
  valid(f: Fixtures): Ask;
}

export const KNOWN_ADDRESS = 'known+tag@example.net';
/** paused before the bad input, so a resume that got through would show */
export const PAUSED_DOMAIN = 'example.com';
/** suspended before the bad input (a name no policy has: nothing it holds), so a lift that got through would show */
export const SUSPENDED_DESTINATION = 'stale-destination';
const json = (value: unknown) => JSON.stringify(value);
const JSON_TYPE = { 'content-type': 'application/json' };

/** The SendGrid drop-in's key (RELAY_SENDGRID_API_KEY) in the bad-input suite. */
export const SENDGRID_API_KEY = 'SG.bad-input-suite-sendgrid-key-0123456789';
export const SENDGRID_PATH = '/api/sendgrid/v3/mail/send';
/** A Mail Send body the drop-in takes, with its recipient's address as given. */
export function sendGridMail(to = 'must-not-arrive@example.net'): Record<string, unknown> {
  return { personalizations: [{ to: [{ email: to }] }], from: { email: 'app@example.jp' }, subject: 'x', content: [{ type: 'text/plain', value: 'x' }] };
}
export const sendGridHeaders = (key = SENDGRID_API_KEY) => ({ ...JSON_TYPE, authorization: `Bearer ${key}` });

export function sendGridBounce(f: Fixtures): string {
  return json([
    {
      email: f.recipient,
      timestamp: Math.floor(Date.now() / 1000),
      'smtp-id': `<${f.messageId}@example.jp>`,
      event: 'bounce',
      sg_event_id: `sg-bad-input-${f.messageId}`,
      reason: '550 5.1.1 The email account that you tried to reach does not exist.',
      status: '5.1.1',
    },
  ]);
}

export function acsBounce(f: Fixtures, eventType = 'Microsoft.Communication.EmailDeliveryReportReceived'): string {
  const data = {
    recipient: f.recipient,
    internetMessageId: `<${f.messageId}@example.jp>`,
    status: 'Bounced',
    deliveryStatusDetails: { statusMessage: '550 5.1.1 not found' },
  };
  return json([{ id: `acs-bad-input-${f.messageId}`, eventType, data, eventTime: new Date().toISOString(), dataVersion: '1.0' }]);
}

export const ACS_SEND_PATH = '/emails:send?api-version=2025-09-01';
export const acsEmail = (overrides: Record<string, unknown> = {}) =>
  json({
    senderAddress: 'app@example.jp',
    content: { subject: 'x', plainText: 'x' },
    recipients: { to: [{ address: 'must-not-arrive@example.net' }] },
    ...overrides,
  });

export const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'sendMessage',
    methods: ['POST'],
    route: 'api/v1/messages',
    authLevel: 'function',
    caller: 'sender-key',
    errors: 'problem',
    valid: () => ({
      method: 'POST',
      path: '/api/v1/messages',
      headers: JSON_TYPE,
      body: json({ from: 'app@example.jp', to: 'must-not-arrive@example.net', subject: 'x', text: 'x' }),
    }),
  },
  {
    name: 'getMessageStatus',
    methods: ['GET'],
    route: 'api/v1/messages/{id}',
    authLevel: 'function',
    caller: 'sender-key',
    errors: 'problem',
    valid: (f) => ({ method: 'GET', path: `/api/v1/messages/${f.messageId}` }),
  },
  ...(
    [
      ['listSuppressions', 'GET', 'api/v1/suppressions', () => ({ method: 'GET', path: '/api/v1/suppressions' })],
      ['listMessages', 'GET', 'api/v1/messages', () => ({ method: 'GET', path: '/api/v1/messages?limit=5' })],
      ['listPoison', 'GET', 'api/v1/poison', () => ({ method: 'GET', path: '/api/v1/poison' })],
      [
        'requeuePoison',
        'POST',
        'api/v1/poison/requeue',
        () => ({ method: 'POST', path: '/api/v1/poison/requeue', headers: JSON_TYPE, body: json({ ids: ['0'.repeat(32)] }) }),
      ],
      ['getSuppression', 'GET', 'api/v1/suppressions/{address}', () => ({ method: 'GET', path: `/api/v1/suppressions/${KNOWN_ADDRESS}` })],
      [
        'putSuppression',
        'PUT',
        'api/v1/suppressions/{address}',
        () => ({ method: 'PUT', path: '/api/v1/suppressions/new@example.net', headers: JSON_TYPE, body: json({ reason: 'bad input must not add this' }) }),
      ],
      ['deleteSuppression', 'DELETE', 'api/v1/suppressions/{address}', () => ({ method: 'DELETE', path: `/api/v1/suppressions/${KNOWN_ADDRESS}` })],
      ['getStats', 'GET', 'api/v1/stats', () => ({ method: 'GET', path: '/api/v1/stats?hours=24' })],
      ['getSenderStatus', 'GET', 'api/v1/senders/{domain}', () => ({ method: 'GET', path: `/api/v1/senders/${PAUSED_DOMAIN}` })],
      [
        'pauseSender',
        'POST',
        'api/v1/senders/{domain}/pause',
        () => ({ method: 'POST', path: '/api/v1/senders/example.jp/pause', headers: JSON_TYPE, body: json({ reason: 'bad input must not pause' }) }),
      ],
      ['resumeSender', 'POST', 'api/v1/senders/{domain}/resume', () => ({ method: 'POST', path: `/api/v1/senders/${PAUSED_DOMAIN}/resume` })],
      ['listSuspensions', 'GET', 'api/v1/suspensions', () => ({ method: 'GET', path: '/api/v1/suspensions' })],
      [
        'putSuspension',
        'PUT',
        'api/v1/suspensions/{kind}/{name}',
        () => ({
          method: 'PUT',
          path: '/api/v1/suspensions/smartHost/default',
          headers: JSON_TYPE,
          body: json({ reason: 'bad input must not suspend', duration: '1h' }),
        }),
      ],
      [
        'deleteSuspension',
        'DELETE',
        'api/v1/suspensions/{kind}/{name}',
        () => ({ method: 'DELETE', path: `/api/v1/suspensions/destination/${SUSPENDED_DESTINATION}` }),
      ],
      [
        'receiveDsn',
        'POST',
        'api/v1/events/dsn',
        (f: Fixtures) => ({ method: 'POST', path: '/api/v1/events/dsn', headers: { 'content-type': 'message/rfc822' }, body: f.dsn }),
      ],
    ] as const
  ).map(([name, method, route, valid]): Endpoint => ({ name, methods: [method], route, authLevel: 'admin', caller: 'operator-key', errors: 'problem', valid })),
  {
    // the page holds no data and takes no input: its only refusal is the host's 401 without the operator key
    name: 'dashboard',
    methods: ['GET'],
    route: 'api/dashboard',
    authLevel: 'admin',
    caller: 'operator-key',
    errors: 'page',
    valid: () => ({ method: 'GET', path: '/api/dashboard' }),
  },
  {
    name: 'receiveSendGridEvents',
    methods: ['POST'],
    route: 'api/v1/events/sendgrid',
    authLevel: 'anonymous',
    caller: 'sendgrid-signature',
    errors: 'problem',
    valid: (f) => {
      const body = sendGridBounce(f);
      return { method: 'POST', path: '/api/v1/events/sendgrid', key: null, headers: f.signed(body), body };
    },
  },
  {
    name: 'receiveAcsEvents',
    methods: ['POST', 'OPTIONS'],
    route: 'api/v1/events/acs',
    authLevel: 'anonymous',
    caller: 'acs-secret',
    errors: 'problem',
    valid: (f) => ({
      method: 'POST',
      path: '/api/v1/events/acs',
      key: null,
      headers: { ...JSON_TYPE, 'x-relay-events-secret': f.acsSecret },
      body: acsBounce(f),
    }),
  },
  {
    name: 'sendAcsEmail',
    methods: ['POST'],
    route: 'emails:send',
    authLevel: 'anonymous',
    caller: 'acs-signature',
    errors: 'acs',
    valid: (f) => {
      const body = acsEmail();
      return { method: 'POST', path: ACS_SEND_PATH, key: null, headers: { ...JSON_TYPE, ...f.acsSigned('POST', ACS_SEND_PATH, body) }, body };
    },
  },
  {
    name: 'getAcsEmailOperation',
    methods: ['GET'],
    route: 'emails/operations/{id}',
    authLevel: 'anonymous',
    caller: 'acs-signature',
    errors: 'acs',
    valid: (f) => {
      const path = `/emails/operations/${f.messageId}?api-version=2025-09-01`;
      return { method: 'GET', path, key: null, headers: f.acsSigned('GET', path) };
    },
  },
  {
    name: 'sendGridMailSend',
    methods: ['POST'],
    route: 'api/sendgrid/v3/mail/send',
    authLevel: 'anonymous',
    caller: 'sendgrid-api-key',
    errors: 'sendgrid',
    valid: () => ({ method: 'POST', path: SENDGRID_PATH, key: null, headers: sendGridHeaders(), body: json(sendGridMail()) }),
  },
  {
    name: 'unsubscribePage',
    methods: ['GET'],
    route: 'api/v1/unsubscribe/{token}',
    authLevel: 'anonymous',
    caller: 'unsubscribe-token',
    errors: 'page',
    valid: (f) => ({ method: 'GET', path: `/api/v1/unsubscribe/${f.token}`, key: null }),
  },
  {
    name: 'unsubscribeOneClick',
    methods: ['POST'],
    route: 'api/v1/unsubscribe/{token}',
    authLevel: 'anonymous',
    caller: 'unsubscribe-token',
    errors: 'page',
    valid: (f) => ({
      method: 'POST',
      path: `/api/v1/unsubscribe/${f.token}`,
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    }),
  },
  {
    name: 'getOpenApi',
    methods: ['GET'],
    route: 'api/v1/openapi.json',
    authLevel: 'anonymous',
    caller: 'anyone',
    errors: 'problem',
    valid: () => ({ method: 'GET', path: '/api/v1/openapi.json', key: null }),
  },
];

/** Keys that are not the operator's: the sender's, none, wrong ones, in the header and in ?code=. */
export function operatorKeyAttempts(): [string, { key: string | null; query?: string }][] {
  return [
    ['no key', { key: null }],
    ['a wrong key', { key: 'not-the-key' }],
    ["the sender's key", { key: FUNCTION_KEY }],
    ["the sender's key in ?code=", { key: null, query: `code=${FUNCTION_KEY}` }],
    ['a wrong key in ?code=', { key: null, query: 'code=wrong' }],
    ["the operator's key in upper case", { key: ADMIN_KEY.toUpperCase() }],
  ];
}

export function senderKeyAttempts(): [string, { key: string | null; query?: string }][] {
  return [
    ['no key', { key: null }],
    ['a wrong key', { key: 'not-the-key' }],
    ['an empty key', { key: '' }],
    ['a wrong key in ?code=', { key: null, query: 'code=wrong' }],
  ];
}

export const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;
