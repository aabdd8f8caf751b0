// Every HTTP endpoint of the relay: its methods, route and authLevel, who may call it, how its errors
// come and a valid request of each (the base bad input is made from). endpointBadInput.test.ts holds
// this table against the registrations the app really makes: an endpoint without a row fails there.
import { ADMIN_KEY, FUNCTION_KEY } from '../support/relayHarness';

/** How a caller proves who it is: a function key, the operator's (master) key, or the endpoint's own check. */
export type Caller = 'sender-key' | 'operator-key' | 'sendgrid-signature' | 'acs-secret' | 'unsubscribe-token' | 'sendgrid-api-key';

/**
 * What an endpoint's own error answers are: problem+json, an HTML page unless the caller asks for
 * JSON, or SendGrid's {"errors": [{"message", "field", "help"}]} (the SendGrid drop-in).
 */
export type ErrorBody = 'problem' | 'page' | 'sendgrid';

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
      ['getSuppression', 'GET', 'api/v1/suppressions/{address}', () => ({ method: 'GET', path: `/api/v1/suppressions/${KNOWN_ADDRESS}` })],
      [
        'putSuppression',
        'PUT',
        'api/v1/suppressions/{address}',
        () => ({ method: 'PUT', path: '/api/v1/suppressions/new@example.net', headers: JSON_TYPE, body: json({ reason: 'bad input must not add this' }) }),
      ],
      ['deleteSuppression', 'DELETE', 'api/v1/suppressions/{address}', () => ({ method: 'DELETE', path: `/api/v1/suppressions/${KNOWN_ADDRESS}` })],
      ['getSenderStatus', 'GET', 'api/v1/senders/{domain}', () => ({ method: 'GET', path: `/api/v1/senders/${PAUSED_DOMAIN}` })],
      [
        'pauseSender',
        'POST',
        'api/v1/senders/{domain}/pause',
        () => ({ method: 'POST', path: '/api/v1/senders/example.jp/pause', headers: JSON_TYPE, body: json({ reason: 'bad input must not pause' }) }),
      ],
      ['resumeSender', 'POST', 'api/v1/senders/{domain}/resume', () => ({ method: 'POST', path: `/api/v1/senders/${PAUSED_DOMAIN}/resume` })],
      [
        'receiveDsn',
        'POST',
        'api/v1/events/dsn',
        (f: Fixtures) => ({ method: 'POST', path: '/api/v1/events/dsn', headers: { 'content-type': 'message/rfc822' }, body: f.dsn }),
      ],
    ] as const
  ).map(([name, method, route, valid]): Endpoint => ({ name, methods: [method], route, authLevel: 'admin', caller: 'operator-key', errors: 'problem', valid })),
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
