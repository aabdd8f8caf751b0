// The hand-written malformed input per endpoint, each with the answer it must get: addresses in the
// suppression paths, entry and pause bodies, media types and sizes, list queries, sender domains, DSN
// uploads and message ids. Sent with the key its endpoint takes (endpointTable.ts).
import { type Ask, KNOWN_ADDRESS, SUSPENDED_DESTINATION } from './endpointTable';

const json = (value: unknown) => JSON.stringify(value);
const JSON_TYPE = { 'content-type': 'application/json' };

/** A bad request and the answer it must get: a status (or the few it may get), and the field named. */
export interface Case extends Ask {
  name: string;
  endpoint: string;
  status: number | readonly number[];
  field?: string;
  /** the body of a documented 2xx-and-ignored answer */
  answer?: Record<string, unknown>;
}

/** Path segments that are no address, percent-encoded as a client sends them, with the answer each gets. */
export const BAD_ADDRESSES: readonly [string, string, number][] = [
  ['empty', '', 404], // no route has an empty segment: the host answers, as Azure does
  ['a space', '%20', 400],
  ['no @', 'user.example.net', 400],
  ['two @', 'a@b@example.net', 400],
  ['nothing before @', '%40example.net', 400],
  ['nothing after @', 'user@', 400],
  ['a NUL', 'a%00b@example.net', 400],
  ['a control character', 'a%07b@example.net', 400],
  ['CR LF and a header', 'a%0D%0ABcc:x@example.net', 400],
  ['a leading tab', `%09${encodeURIComponent(KNOWN_ADDRESS)}`, 400], // was trimmed away, and the entry read, replaced or deleted
  ['a trailing CR LF', `${encodeURIComponent(KNOWN_ADDRESS)}%0D%0A`, 400],
  ['a local part of 65', `${'x'.repeat(65)}@example.net`, 400],
  ['an address of 2000', `${'x'.repeat(60)}@${'a'.repeat(1930)}.net`, 400],
  ['an encoded /', 'a%2Fb@example.net', 404], // the host does not route an encoded slash
  ['#', 'a%23b@example.net', 400],
  ['?', 'a%3Fb@example.net', 400],
  ['a bad escape', 'a%ZZ@example.net', 404],
  ['a cut escape', 'a%E3%81@example.net', 404], // not UTF-8 once decoded: the host does not route it
  ['an escape of an invalid UTF-8 byte', 'a%FF@example.net', 404],
  ['a non-ASCII local part', '%E3%81%82@example.net', 400],
  ['a zero-width space', 'a%E2%80%8Bb@example.net', 400],
  ['a right-to-left override', 'a%E2%80%AEb@example.net', 400],
  // UTS 46 would drop these and name the known entry's domain
  ['a zero-width space in the domain', 'known%2Btag@example%E2%80%8B.net', 400],
  ['a soft hyphen in the domain', 'known%2Btag@exam%C2%ADple.net', 400],
  ['a fullwidth letter in the domain', 'known%2Btag@%EF%BD%85xample.net', 400],
  ['a fullwidth @', 'a%EF%BC%A0example.net', 400],
  ['an address literal', 'user@%5B127.0.0.1%5D', 400],
  ['two dots', 'a..b@example.net', 400],
  ['angle brackets', '%3Ca@example.net%3E', 400],
];

const ADDRESS_CASES: Case[] = BAD_ADDRESSES.flatMap(([what, segment, status]): Case[] =>
  (
    [
      ['getSuppression', 'GET', undefined],
      ['putSuppression', 'PUT', json({ reason: 'r' })],
      ['deleteSuppression', 'DELETE', undefined],
    ] as const
  )
    // an empty segment is the list's own route for GET
    .filter(([, method]) => !(segment === '' && method === 'GET'))
    .map(([endpoint, method, body]) => ({
      name: `${method} suppression, ${what}`,
      endpoint,
      method,
      path: `/api/v1/suppressions/${segment}`,
      headers: body ? JSON_TYPE : undefined,
      body,
      status,
      field: status === 400 ? 'address' : undefined,
    })),
);

const putSuppression = (name: string, body: string | Buffer, status: number, field?: string, contentType = 'application/json'): Case => ({
  name: `PUT suppression, ${name}`,
  endpoint: 'putSuppression',
  method: 'PUT',
  path: `/api/v1/suppressions/${KNOWN_ADDRESS}`,
  headers: { 'content-type': contentType },
  body,
  status,
  field,
});

const list = (query: string, field: string): Case => ({
  name: `list ?${query.slice(0, 40)}`,
  endpoint: 'listSuppressions',
  method: 'GET',
  path: `/api/v1/suppressions?${query}`,
  status: 400,
  field,
});

const SENDER_DOMAINS: [string, string, number][] = [
  ['not a domain', 'not_a_domain', 400],
  ['one label', 'localhost', 400],
  ['an address literal', '%5B127.0.0.1%5D', 400],
  ['CR LF', 'example.com%0D%0A', 400],
  ['a NUL', 'example%00.com', 400],
  ['too long', `${'a'.repeat(260)}.com`, 400],
  ['a quote', "o'brien.com", 400],
  ['a space', 'example%20com', 400],
  ['an address', 'user%40example.com', 400],
  // UTS 46 would drop or fold these and name the paused domain
  ['a zero-width space', 'example%E2%80%8B.com', 400],
  ['a soft hyphen', 'exam%C2%ADple.com', 400],
  ['a fullwidth letter', '%EF%BD%85xample.com', 400],
  ['an ideographic full stop', 'example%E3%80%82com', 400],
  ['non-ASCII, not allowed', '%E4%BE%8B.jp', 404], // an IDN is a domain: its A-label is not in the list
  ['not allowed', 'example.net', 404],
];

const SENDER_CASES: Case[] = SENDER_DOMAINS.flatMap(([what, domain, status]): Case[] => [
  { name: `sender status, ${what}`, endpoint: 'getSenderStatus', method: 'GET', path: `/api/v1/senders/${domain}`, status },
  { name: `resume, ${what}`, endpoint: 'resumeSender', method: 'POST', path: `/api/v1/senders/${domain}/resume`, status },
  {
    name: `pause, ${what}`,
    endpoint: 'pauseSender',
    method: 'POST',
    path: `/api/v1/senders/${domain}/pause`,
    headers: JSON_TYPE,
    body: json({ reason: 'x' }),
    status,
  },
]);

const pause = (name: string, body: string, status: number, field?: string, contentType = 'application/json'): Case => ({
  name: `pause, ${name}`,
  endpoint: 'pauseSender',
  method: 'POST',
  path: '/api/v1/senders/example.jp/pause',
  headers: { 'content-type': contentType },
  body,
  status,
  field,
});

const suspension = (name: string, body: string | Buffer, status: number, field?: string, contentType = 'application/json'): Case => ({
  name: `PUT suspension, ${name}`,
  endpoint: 'putSuspension',
  method: 'PUT',
  path: '/api/v1/suspensions/smartHost/default',
  headers: { 'content-type': contentType },
  body,
  status,
  field,
});

/** Kinds and names in the suspension paths, percent-encoded, with the answer PUT and DELETE get. */
const SUSPENSION_TARGETS: [string, string, number, number, string?][] = [
  ['an unknown kind', 'carrier/default', 404, 404, 'kind'],
  ['a kind in another case', 'SmartHost/default', 404, 404, 'kind'],
  ['a kind with CR LF', 'smartHost%0D%0A/default', 404, 404, 'kind'],
  ['a name with CR LF', 'smartHost/default%0D%0A', 400, 400, 'name'],
  ['a name with a NUL', 'destination/a%00b', 400, 400, 'name'],
  ['a name of 101', `destination/${'x'.repeat(101)}`, 400, 400, 'name'],
  // a well-formed name no policy has: nothing to suspend, nothing to lift
  ['a destination the policy lacks', 'destination/jp-nowhere', 422, 404, 'name'], // no built-in destination has this name
  ['another smart host', 'smartHost/acs', 422, 404, 'name'],
  ['the seeded name as a smart host', `smartHost/${SUSPENDED_DESTINATION}`, 422, 404, 'name'],
];

const SUSPENSION_CASES: Case[] = SUSPENSION_TARGETS.flatMap(([what, target, putStatus, deleteStatus, field]): Case[] => [
  {
    name: `PUT suspension, ${what}`,
    endpoint: 'putSuspension',
    method: 'PUT',
    path: `/api/v1/suspensions/${target}`,
    headers: JSON_TYPE,
    body: json({ reason: 'r', duration: '1h' }),
    status: putStatus,
    field,
  },
  { name: `DELETE suspension, ${what}`, endpoint: 'deleteSuspension', method: 'DELETE', path: `/api/v1/suspensions/${target}`, status: deleteStatus },
]);

/** The OpenAPI document takes no input: another method finds no route (and writes nothing). */
const OPENAPI_CASES: Case[] = ['POST', 'PUT', 'DELETE'].map((method) => ({
  name: `openapi.json by ${method}`,
  endpoint: 'getOpenApi',
  method,
  path: '/api/v1/openapi.json',
  ...(method === 'DELETE' ? {} : { body: '{"openapi": "3.1.0"}', headers: { 'content-type': 'application/json' } }),
  status: 404,
}));

/** The hand-written cases that need no live fixture, every one sent with the key its endpoint takes. */
export const MALFORMED: readonly Case[] = [
  ...OPENAPI_CASES,
  ...ADDRESS_CASES,
  putSuppression('not JSON', '{"reason": ', 400, '(body)'),
  putSuppression('empty', '', 400, '(body)'),
  putSuppression('an array', json([{ reason: 'r' }]), 400, '(body)'),
  putSuppression('null', 'null', 400, '(body)'),
  putSuppression('not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 400, '(body)'),
  putSuppression('a duplicate name', '{"reason": "a", "reason": "b"}', 400, 'reason'),
  putSuppression('an unknown field', json({ reason: 'r', source: 'bounce' }), 400, 'source'),
  putSuppression('text/plain', json({ reason: 'r' }), 415, undefined, 'text/plain'),
  putSuppression('a form', 'reason=r', 415, undefined, 'application/x-www-form-urlencoded'),
  putSuppression('oversize', json({ reason: 'r', pad: 'x'.repeat(70_000) }), 413),
  ...[
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=x', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['source=unknown', 'source'],
    ['domain=not_a_domain', 'domain'],
    ['domain=%0D%0A.jp', 'domain'],
    [`domain=${'a'.repeat(300)}.jp`, 'domain'],
    ['continuationToken=%25%25%25', 'continuationToken'],
    [`continuationToken=${Buffer.from('{"nextPartitionKey":5}').toString('base64url')}`, 'continuationToken'],
    ['continuationToken=A%00A', 'continuationToken'],
    ['unknown=1', 'unknown'],
  ].map(([query, field]) => list(query, field)),
  ...[
    ['hours=0', 'hours'],
    ['hours=169', 'hours'],
    ['hours=-1', 'hours'],
    ['hours=1.5', 'hours'],
    ['hours=', 'hours'],
    ['hours=%00', 'hours'],
    ['hours=1&hours=2', 'hours'],
    ['limit=10', 'limit'],
  ].map(([query, field]): Case => ({ name: `stats ?${query}`, endpoint: 'getStats', method: 'GET', path: `/api/v1/stats?${query}`, status: 400, field })),
  ...SENDER_CASES,
  ...SUSPENSION_CASES,
  suspension('no reason', json({ duration: '1h' }), 400, 'reason'),
  suspension('no end', json({ reason: 'r' }), 400, 'until'),
  suspension('both ends', json({ reason: 'r', duration: '1h', until: '2099-01-01T00:00:00Z' }), 400, 'duration'),
  suspension('until in the past', json({ reason: 'r', until: '2020-01-01T00:00:00Z' }), 400, 'until'),
  suspension('until beyond 30 days', json({ reason: 'r', until: '2099-01-01T00:00:00Z' }), 400, 'until'),
  suspension('until not a time', json({ reason: 'r', until: 'tomorrow' }), 400, 'until'),
  suspension('a duration of 31 days', json({ reason: 'r', duration: '31d' }), 400, 'duration'),
  suspension('a duration without a unit', json({ reason: 'r', duration: '60' }), 400, 'duration'),
  suspension('a rateFactor of 2', json({ reason: 'r', duration: '1h', rateFactor: 2 }), 400, 'rateFactor'),
  suspension('a reason with CR LF', json({ reason: 'a\r\nb', duration: '1h' }), 400, 'reason'),
  suspension('an unknown field', json({ reason: 'r', duration: '1h', source: 'reaction' }), 400, 'source'),
  suspension('not JSON', '{"reason": ', 400, '(body)'),
  suspension('an array', json([{ reason: 'r', duration: '1h' }]), 400, '(body)'),
  suspension('text/plain', json({ reason: 'r', duration: '1h' }), 415, undefined, 'text/plain'),
  suspension('oversize', json({ reason: 'r', duration: '1h', pad: 'x'.repeat(70_000) }), 413),
  {
    name: 'DELETE suspension, a query',
    endpoint: 'deleteSuspension',
    method: 'DELETE',
    path: `/api/v1/suspensions/destination/${SUSPENDED_DESTINATION}?all=1`,
    status: 400,
    field: 'all',
  },
  ...['kind=destination', 'limit=1', 'unknown=1'].map((query): Case => ({
    name: `list suspensions ?${query}`,
    endpoint: 'listSuspensions',
    method: 'GET',
    path: `/api/v1/suspensions?${query}`,
    status: 400,
    field: query.split('=')[0],
  })),
  pause('no reason', json({}), 400, 'reason'),
  pause('not JSON', '{', 400, '(body)'),
  pause('an array', '[]', 400, '(body)'),
  pause('a reason with CR LF', json({ reason: 'a\r\nb' }), 400, 'reason'),
  pause('text/plain', json({ reason: 'x' }), 415, undefined, 'text/plain'),
  pause('oversize', json({ reason: 'x', pad: 'x'.repeat(70_000) }), 413),
  ...(
    [
      ['JSON', '{"event":"bounce"}', 'application/json', 415],
      ['no Content-Type', 'From: a@b\r\n\r\nx', null, 415],
      ['text/plain', 'From: a@b\r\n\r\nx', 'text/plain', 415],
      ['not a message', 'this is not a mail message at all', 'message/rfc822', 400],
      ['empty', '', 'message/rfc822', 400],
      ['binary', Buffer.from([0, 1, 2, 3, 255, 254, 10, 13]), 'application/octet-stream', 400],
      ['a message that is no report', 'From: a@example.net\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n', 'message/rfc822', 422],
      [
        'a report without its status part',
        'Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n',
        'multipart/report',
        422,
      ],
      ['oversize', Buffer.alloc(1024 * 1024 + 1, 0x61), 'message/rfc822', 413],
    ] as const
  ).map(([what, body, contentType, status]): Case => ({
    name: `DSN, ${what}`,
    endpoint: 'receiveDsn',
    method: 'POST',
    path: '/api/v1/events/dsn',
    headers: contentType === null ? {} : { 'content-type': contentType },
    body,
    status,
  })),
  ...(
    [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['status=sent', 'status'],
      ['status=', 'status'],
      ['since=yesterday', 'since'],
      ['since=2026-12-01', 'since'],
      ['until=2026-12-01T25:00:00Z', 'until'],
      ['until=2199-01-01T00:00:00Z', 'until'],
      ['since=2026-12-01T10:00:00Z&until=2026-12-01T09:00:00Z', 'since'],
      ['since=1990-01-01T00:00:00Z', 'since'],
      ['recipient=not-an-address', 'recipient'],
      ['recipient=a%0D%0Ab@example.net', 'recipient'],
      ['from=%00@example.com', 'from'],
      ['tag.=x', 'tag.'],
      ['tag.1x=y', 'tag.1x'],
      ['tag.a=', 'tag.a'],
      ['tag.a=1&tag.b=2&tag.c=3&tag.d=4&tag.e=5&tag.f=6', 'tag'],
      ['limit=5&limit=6', 'limit'],
      ['continuationToken=abc', 'continuationToken'],
      ['continuationToken=eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA', 'continuationToken'],
      ["recipient=x'%20or%20'1'eq'1@example.net", 'recipient'],
      ['zz=1', 'zz'],
    ] as const
  ).map(([query, field]): Case => ({
    name: `message list ?${query.slice(0, 40)}`,
    endpoint: 'listMessages',
    method: 'GET',
    path: `/api/v1/messages?${query}`,
    status: 400,
    field,
  })),
  ...(
    [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['continuationToken=xyz', 'continuationToken'],
      ['continuationToken=' + 'G'.repeat(32), 'continuationToken'],
      ['zz=1', 'zz'],
    ] as const
  ).map(([query, field]): Case => ({
    name: `poison list ?${query.slice(0, 40)}`,
    endpoint: 'listPoison',
    method: 'GET',
    path: `/api/v1/poison?${query}`,
    status: 400,
    field,
  })),
  ...(
    [
      ['not JSON', '{', 'application/json', 400, undefined],
      ['an array', '[]', 'application/json', 400, '(body)'],
      ['neither ids nor all', '{}', 'application/json', 400, '(body)'],
      ['both ids and all', json({ ids: ['0'.repeat(32)], all: true }), 'application/json', 400, '(body)'],
      ['all false', json({ all: false }), 'application/json', 400, 'all'],
      ['no ids', json({ ids: [] }), 'application/json', 400, 'ids'],
      ['ids not a list', json({ ids: 'abc' }), 'application/json', 400, 'ids'],
      ['a bad id', json({ ids: ['0'.repeat(32), 'x'] }), 'application/json', 400, 'ids[1]'],
      ['too many ids', json({ ids: Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0')) }), 'application/json', 400, 'ids'],
      ['an unknown field', json({ all: true, force: true }), 'application/json', 400, 'force'],
      ['text/plain', json({ all: true }), 'text/plain', 415, undefined],
      ['oversize', json({ ids: ['0'.repeat(32)], pad: 'x'.repeat(17 * 1024) }), 'application/json', 413, undefined],
    ] as const
  ).map(([what, body, contentType, status, field]): Case => ({
    name: `requeue, ${what}`,
    endpoint: 'requeuePoison',
    method: 'POST',
    path: '/api/v1/poison/requeue',
    headers: { 'content-type': contentType },
    body,
    status,
    ...(field === undefined ? {} : { field }),
  })),
  ...['not-a-uuid', '00000000-0000-0000-0000-000000000000', `${'f'.repeat(300)}`, "x'%20or%20'1'eq'1", '%00', 'a%0D%0Ab', '%E2%80%AE'].map((id): Case => ({
    name: `status of id ${id.slice(0, 30)}`,
    endpoint: 'getMessageStatus',
    method: 'GET',
    path: `/api/v1/messages/${id}`,
    status: 404,
  })),
];
