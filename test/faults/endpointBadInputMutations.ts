// Generated bad requests for every endpoint (fast-check): mutations of each endpoint's valid request
// (endpointTable.ts) in its path, key, query, headers or body. A mutation never depends on luck to be
// bad: an address gets a character no address may hold, a token a change in its decoded bytes, a
// signed body a byte the signature was not made over.
import fc from 'fast-check';
import { ADMIN_KEY, FUNCTION_KEY } from '../support/relayHarness';
import { badRequest } from './badInputMutations';
import { acsGenerated } from './endpointBadInputAcs';
import {
  acsBounce,
  type Ask,
  ENDPOINTS,
  type Fixtures,
  KNOWN_ADDRESS,
  PAUSED_DOMAIN,
  SENDGRID_API_KEY,
  SENDGRID_PATH,
  sendGridBounce,
  sendGridHeaders,
  sendGridMail,
  SUSPENDED_DESTINATION,
  withQuery,
} from './endpointTable';

/** A generated bad request: the endpoint it is for, the request and the statuses it may get. */
export interface Generated {
  endpoint: string;
  kind: string;
  ask: Ask;
  status: readonly number[];
}

// characters no address of the relay's may hold, however placed
const NOT_IN_ADDRESS = fc.constantFrom(...'\u0000\u0001\u0009\n\r\u001f\u007f<>()[]\\,;:"'.split(''), '@@', '\u200b', '\u00ad', '\uff45');
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
const insertInto = (text: string) => fc.tuple(fc.nat({ max: text.length }), NOT_IN_ADDRESS).map(([at, c]) => `${text.slice(0, at)}${c}${text.slice(at)}`);
const keyLike = fc.stringMatching(/^[\x21-\x7e]{0,40}$/).filter((k) => k !== FUNCTION_KEY && k !== ADMIN_KEY);
const notJsonObject = fc.oneof(
  fc
    .jsonValue()
    .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map((v) => JSON.stringify(v)),
  fc.string().map((s) => `{${s}`),
  fc.tuple(word, fc.jsonValue()).map(([name, value]) => JSON.stringify({ reason: 'r', [`zz${name}`]: value })),
);
const notJsonType = fc.constantFrom(
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/jsonx',
);
const operatorBody = fc.oneof(
  notJsonObject.map((body) => ({ body, contentType: 'application/json', status: [400] })),
  notJsonType.map((contentType) => ({ body: '{"reason":"r"}', contentType, status: [415] })),
);
const notAnArrayOfObjects = fc.oneof(
  fc.string().map((s) => `[${s}`),
  fc
    .jsonValue()
    .filter((v) => !Array.isArray(v))
    .map((v) => JSON.stringify(v)),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.boolean()), { minLength: 1, maxLength: 5 }).map((v) => JSON.stringify(v)),
);

/** One generated bad request for some endpoint of the relay. */
export function generatedRequest(f: Fixtures): fc.Arbitrary<Generated> {
  const json = { 'content-type': 'application/json' };
  const keyed = ENDPOINTS.filter((e) => e.caller === 'operator-key' || e.caller === 'sender-key');
  const suppressionAt = (endpoint: string, method: string, address: string, body?: { body: string; contentType: string }) => ({
    endpoint,
    ask: {
      method,
      path: `/api/v1/suppressions/${encodeURIComponent(address)}`,
      key: ADMIN_KEY,
      ...(body ? { body: body.body, headers: { 'content-type': body.contentType } } : {}),
    },
  });
  const [payload, mac] = f.token.split('.') as [string, string];
  const arbitraries: fc.Arbitrary<Generated>[] = [
    badRequest.map(({ kind, request }) => ({
      endpoint: 'sendMessage',
      kind: `send: ${kind}`,
      ask: {
        method: 'POST',
        path: '/api/v1/messages',
        headers: { ...request.headers, ...(request.contentType === null ? {} : { 'content-type': request.contentType ?? 'application/json' }) },
        body: Buffer.isBuffer(request.body) ? request.body : typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
      },
      status: [request.expect.status],
    })),
    fc.tuple(fc.constantFrom(...keyed), keyLike, fc.boolean()).map(([endpoint, key, inQuery]) => {
      const valid = endpoint.valid(f);
      const ask = inQuery ? { ...valid, key: null, path: withQuery(valid.path, `code=${encodeURIComponent(key)}`) } : { ...valid, key };
      return { endpoint: endpoint.name, kind: 'a wrong key', ask, status: [401] };
    }),
    // one arbitrary per endpoint, so that each gets its share
    ...['getSuppression', 'deleteSuppression', 'putSuppression'].map((endpoint) =>
      insertInto(KNOWN_ADDRESS).map((address) => ({
        ...suppressionAt(
          endpoint,
          ENDPOINTS.find((e) => e.name === endpoint)!.methods[0],
          address,
          endpoint === 'putSuppression' ? { body: '{"reason":"r"}', contentType: 'application/json' } : undefined,
        ),
        kind: 'a bad address',
        status: [400, 404],
      })),
    ),
    operatorBody.map(({ body, contentType, status }) => ({
      ...suppressionAt('putSuppression', 'PUT', KNOWN_ADDRESS, { body, contentType }),
      kind: 'a bad entry',
      status,
    })),
    fc
      .oneof(
        fc
          .integer()
          .filter((n) => n < 1 || n > 1000)
          .map((n) => `limit=${n}`),
        word.map((w) => `limit=${w}`),
        word.map((w) => `source=zz${w}`),
        insertInto('example.jp').map((d) => `domain=${encodeURIComponent(d)}`),
        fc.string({ maxLength: 30 }).map((s) => `continuationToken=${encodeURIComponent(`!${s}`)}`),
        word.map((w) => `zz${w}=1`),
      )
      .map((query) => ({
        endpoint: 'listSuppressions',
        kind: 'a bad query',
        ask: { method: 'GET', path: `/api/v1/suppressions?${query}`, key: ADMIN_KEY },
        status: [400],
      })),
    // the page takes no input: what a caller can get wrong is the key, in the header or in ?code=
    // the OpenAPI document takes no input: any other method, with any body, finds no route
    fc
      .record({ method: fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH'), body: fc.oneof(notJsonObject, fc.string({ maxLength: 200 })) })
      .map(({ method, body }) => ({
        endpoint: 'getOpenApi',
        kind: 'another method',
        ask: { method, path: '/api/v1/openapi.json', key: null, headers: { 'content-type': 'application/json' }, body },
        status: [404],
      })),
    fc.tuple(keyLike, fc.boolean()).map(([key, inQuery]) => ({
      endpoint: 'dashboard',
      kind: 'a wrong key',
      ask: inQuery ? { method: 'GET', path: `/api/dashboard?code=${encodeURIComponent(key)}`, key: null } : { method: 'GET', path: '/api/dashboard', key },
      status: [401],
    })),
    fc
      .oneof(
        fc
          .integer()
          .filter((n) => n < 1 || n > 168)
          .map((n) => `hours=${n}`),
        word.map((w) => `hours=${w}`),
        word.map((w) => `zz${w}=1`),
      )
      .map((query) => ({
        endpoint: 'getStats',
        kind: 'a bad query',
        ask: { method: 'GET', path: `/api/v1/stats?${query}`, key: ADMIN_KEY },
        status: [400],
      })),
    ...['getSenderStatus', 'pauseSender', 'resumeSender'].map((endpoint) =>
      insertInto(PAUSED_DOMAIN).map((domain) => {
        const tail = endpoint === 'pauseSender' ? '/pause' : endpoint === 'resumeSender' ? '/resume' : '';
        const method = endpoint === 'getSenderStatus' ? 'GET' : 'POST';
        const body = endpoint === 'pauseSender' ? { body: '{"reason":"x"}', headers: json } : {};
        return {
          endpoint,
          kind: 'a bad domain',
          ask: { method, path: `/api/v1/senders/${encodeURIComponent(domain)}${tail}`, key: ADMIN_KEY, ...body },
          status: [400, 404],
        };
      }),
    ),
    fc
      .oneof(
        fc
          .integer()
          .filter((n) => n < 1 || n > 200)
          .map((n) => `limit=${n}`),
        word.map((w) => `status=zz${w}`),
        word.map((w) => `since=${w}`),
        word.map((w) => `until=2026-${w}`),
        insertInto(KNOWN_ADDRESS).map((a) => `recipient=${encodeURIComponent(a)}`),
        insertInto('sender@example.com').map((a) => `from=${encodeURIComponent(a)}`),
        fc.string({ maxLength: 30 }).map((s) => `continuationToken=${encodeURIComponent(`!${s}`)}`),
        word.map((w) => `tag.9${w}=x`),
        word.map((w) => `zz${w}=1`),
      )
      .map((query) => ({
        endpoint: 'listMessages',
        kind: 'a bad query',
        ask: { method: 'GET', path: `/api/v1/messages?${query}`, key: ADMIN_KEY },
        status: [400],
      })),
    fc
      .oneof(
        fc
          .integer()
          .filter((n) => n < 1 || n > 1000)
          .map((n) => `limit=${n}`),
        fc.string({ maxLength: 40 }).map((s) => `continuationToken=${encodeURIComponent(`!${s}`)}`),
        word.map((w) => `zz${w}=1`),
      )
      .map((query) => ({
        endpoint: 'listPoison',
        kind: 'a bad query',
        ask: { method: 'GET', path: `/api/v1/poison?${query}`, key: ADMIN_KEY },
        status: [400],
      })),
    fc
      .oneof(
        operatorBody,
        fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 5 }).map((ids) => ({
          body: JSON.stringify({ ids: [...ids, 'not-an-id'] }),
          contentType: 'application/json',
          status: [400],
        })),
      )
      .map(({ body, contentType, status }) => ({
        endpoint: 'requeuePoison',
        kind: 'a bad requeue',
        ask: { method: 'POST', path: '/api/v1/poison/requeue', key: ADMIN_KEY, headers: { 'content-type': contentType }, body },
        status,
      })),
    operatorBody.map(({ body, contentType, status }) => ({
      endpoint: 'pauseSender',
      kind: 'a bad pause',
      ask: { method: 'POST', path: '/api/v1/senders/example.jp/pause', key: ADMIN_KEY, headers: { 'content-type': contentType }, body },
      status,
    })),
    // suspensions: a name with a character added (400, or no such target: 422 for PUT, 404 for DELETE), a bad body, a bad query
    ...(['putSuspension', 'deleteSuspension'] as const).map((endpoint) =>
      fc.tuple(insertInto(SUSPENDED_DESTINATION), fc.constantFrom('destination', 'smartHost')).map(([name, kind]) => ({
        endpoint,
        kind: 'a bad target',
        ask: {
          method: endpoint === 'putSuspension' ? 'PUT' : 'DELETE',
          path: `/api/v1/suspensions/${kind}/${encodeURIComponent(name)}`,
          key: ADMIN_KEY,
          ...(endpoint === 'putSuspension' ? { headers: json, body: '{"reason":"r","duration":"1h"}' } : {}),
        },
        status: [400, 404, 422],
      })),
    ),
    operatorBody.map(({ body, contentType, status }) => ({
      endpoint: 'putSuspension',
      kind: 'a bad suspension',
      ask: { method: 'PUT', path: '/api/v1/suspensions/smartHost/default', key: ADMIN_KEY, headers: { 'content-type': contentType }, body },
      status,
    })),
    word.map((w) => ({
      endpoint: 'listSuspensions',
      kind: 'a bad query',
      ask: { method: 'GET', path: `/api/v1/suspensions?zz${w}=1`, key: ADMIN_KEY },
      status: [400],
    })),
    fc
      .oneof(
        notJsonType.map((contentType) => ({ contentType, body: f.dsn, status: [415] })),
        fc.uint8Array({ maxLength: 2000 }).map((bytes) => ({ contentType: 'message/rfc822', body: Buffer.from(bytes), status: [400, 422] })),
      )
      .map(({ contentType, body, status }) => ({
        endpoint: 'receiveDsn',
        kind: 'a bad report',
        ask: { method: 'POST', path: '/api/v1/events/dsn', key: ADMIN_KEY, headers: { 'content-type': contentType }, body },
        status,
      })),
    fc.string({ minLength: 1, maxLength: 60 }).map((id) => ({
      endpoint: 'getMessageStatus',
      kind: 'a bad id',
      ask: { method: 'GET', path: `/api/v1/messages/${encodeURIComponent(id)}` },
      status: [404],
    })),
    fc
      .oneof(
        // the signed bytes changed after signing: one byte more, anywhere
        fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, extra]) => {
          const body = sendGridBounce(f);
          const i = at % (body.length + 1);
          return { body: `${body.slice(0, i)}${extra}${body.slice(i)}`, headers: f.signed(body), status: [401] };
        }),
        fc.stringMatching(/^[A-Za-z0-9+/=%]{0,120}$/).map((signature) => {
          const body = sendGridBounce(f);
          return { body, headers: { ...f.signed(body), 'x-twilio-email-event-webhook-signature': signature }, status: [401] };
        }),
        fc.integer({ min: 601, max: 10_000_000 }).chain((age) =>
          fc.constantFrom(-age, age).map((offset) => {
            const body = sendGridBounce(f);
            return { body, headers: f.signedBy(body, { timestamp: Math.floor(Date.now() / 1000) - offset }), status: [401] };
          }),
        ),
        notAnArrayOfObjects.map((body) => ({ body, headers: f.signed(body), status: [400] })),
      )
      .map(({ body, headers, status }) => ({
        endpoint: 'receiveSendGridEvents',
        kind: 'a bad event post',
        ask: { method: 'POST', path: '/api/v1/events/sendgrid', key: null, headers, body },
        status,
      })),
    fc
      .oneof(
        keyLike.filter((s) => s !== f.acsSecret).map((secret) => ({ body: acsBounce(f), secret, status: [401] })),
        notAnArrayOfObjects.map((body) => ({ body, secret: f.acsSecret, status: [400] })),
      )
      .map(({ body, secret, status }) => ({
        endpoint: 'receiveAcsEvents',
        kind: 'a bad event post',
        ask: { method: 'POST', path: '/api/v1/events/acs', key: null, headers: { ...json, 'x-relay-events-secret': secret }, body },
        status,
      })),
    fc
      .oneof(
        keyLike.filter((k) => k !== SENDGRID_API_KEY).map((key) => ({ headers: sendGridHeaders(key), body: JSON.stringify(sendGridMail()), status: [401] })),
        insertInto('user@example.net').map((to) => ({ headers: sendGridHeaders(), body: JSON.stringify(sendGridMail(to)), status: [400] })),
        notJsonObject.map((body) => ({ headers: sendGridHeaders(), body, status: [400] })),
        notJsonType.map((contentType) => ({
          headers: { ...sendGridHeaders(), 'content-type': contentType },
          body: JSON.stringify(sendGridMail()),
          status: [415],
        })),
        fc
          .tuple(word, fc.jsonValue())
          .map(([name, value]) => ({ headers: sendGridHeaders(), body: JSON.stringify({ ...sendGridMail(), [`zz${name}`]: value }), status: [400] })),
      )
      .map(({ headers, body, status }) => ({
        endpoint: 'sendGridMailSend',
        kind: 'a bad mail send',
        ask: { method: 'POST', path: SENDGRID_PATH, key: null, headers, body },
        status,
      })),
    ...['GET', 'POST'].map((method) =>
      fc
        .tuple(
          fc.oneof(
            fc
              .tuple(fc.nat({ max: payload.length - 2 }), fc.stringMatching(/^[A-Za-z0-9_-]$/))
              .map(([i, c]) => `${payload.slice(0, i)}${c}${payload.slice(i + 1)}.${mac}`),
            fc
              .tuple(fc.nat({ max: mac.length - 2 }), fc.stringMatching(/^[A-Za-z0-9_-]$/))
              .map(([i, c]) => `${payload}.${mac.slice(0, i)}${c}${mac.slice(i + 1)}`),
            fc.string({ minLength: 1, maxLength: 100 }).map(encodeURIComponent),
          ),
          fc.constantFrom('text/html', 'application/json', '*/*'),
        )
        // a replaced character may be the same one: that is the valid token, not bad input
        .filter(([token]) => token !== f.token)
        .map(([token, accept]) => ({
          endpoint: method === 'GET' ? 'unsubscribePage' : 'unsubscribeOneClick',
          kind: 'a bad token',
          ask: {
            method,
            path: `/api/v1/unsubscribe/${token}`,
            key: null,
            headers: { accept },
            ...(method === 'POST' ? { body: 'List-Unsubscribe=One-Click' } : {}),
          },
          status: [404],
        })),
    ),
    ...acsGenerated(f),
  ];
  return fc.oneof(...arbitraries);
}
