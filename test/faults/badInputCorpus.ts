// Hand-written bad requests for POST /api/v1/messages, each with the answer it must get. Every body
// starts from a valid message and breaks one thing, so the fields named in the answer are exactly the
// ones broken here. Limits assumed: RELAY_MAX_RECIPIENTS=5, RELAY_MAX_MESSAGE_BYTES=LIMIT_BYTES.

export const MAX_RECIPIENTS = 5;
export const LIMIT_BYTES = 256 * 1024; // room for 100,000 levels of "[" and "]" under the limit

export interface BadRequest {
  name: string;
  /** the raw body; objects go through JSON.stringify */
  body: string | Buffer | Record<string, unknown>;
  /** null sends no Content-Type at all */
  contentType?: string | null;
  headers?: Record<string, string>;
  expect: {
    status: 400 | 403 | 413 | 415;
    /** exactly the fields errors[] must name (400, 403) */
    fields?: string[];
    /** what the detail (or the message of the first named field) must say */
    says?: RegExp;
    /** the answer must not grow with the request */
    maxAnswerBytes?: number;
  };
}

export function validMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { from: 'App <app@example.jp>', to: 'user@example.net', subject: 'Hello', text: 'Hello from the bad-input tests.', ...overrides };
}

/** A valid message without `names`. */
function without(...names: string[]): Record<string, unknown> {
  const body = validMessage();
  for (const name of names) delete body[name];
  return body;
}

/** JSON text of a valid message with `members` (raw JSON, e.g. '"__proto__":{}') added at the end. */
function withRawMembers(members: string, base: Record<string, unknown> = validMessage()): string {
  return JSON.stringify(base).replace(/}$/, `,${members}}`);
}

const invalid = (name: string, body: BadRequest['body'], fields: string[], says?: RegExp): BadRequest => ({
  name,
  body,
  expect: { status: 400, fields, says },
});

const headerInjection: BadRequest[] = [
  invalid('CRLF + Bcc in the subject', validMessage({ subject: 'Hi\r\nBcc: victim@example.net' }), ['subject'], /CR or LF/),
  invalid('bare LF in the subject', validMessage({ subject: 'Hi\nX-Injected: yes' }), ['subject'], /CR or LF/),
  invalid('bare CR in the subject', validMessage({ subject: 'Hi\rX-Injected: yes' }), ['subject'], /CR or LF/),
  invalid('CRLF in a custom header value', validMessage({ headers: { 'X-Note': 'v\r\nBcc: victim@example.net' } }), ['headers.X-Note'], /CR or LF/),
  invalid('CRLF in a custom header name', validMessage({ headers: { 'X-A\r\nBcc': 'victim@example.net' } }), ['headers.X-A\r\nBcc'], /not a valid header name/),
  invalid('a colon in a custom header name', validMessage({ headers: { 'X-A: injected': 'v' } }), ['headers.X-A: injected'], /not a valid header name/),
  invalid('CRLF in the sender display name', validMessage({ from: 'App\r\nBcc: victim@example.net <app@example.jp>' }), ['from'], /CR, LF/),
  invalid(
    'CRLF in a recipient display name (object)',
    validMessage({ to: { address: 'user@example.net', name: 'x\r\nBcc: victim@example.net' } }),
    ['to'],
    /CR, LF/,
  ),
  invalid('CRLF after a recipient address', validMessage({ to: 'user@example.net\r\nBcc: victim@example.net' }), ['to'], /CR, LF/),
  invalid('LF in the second cc address', validMessage({ cc: ['a@example.net', 'b@example.net\nBcc: victim@example.net'] }), ['cc[1]'], /CR, LF/),
  invalid('CR in replyTo', validMessage({ replyTo: 'reply@example.net\rBcc: victim@example.net' }), ['replyTo'], /CR, LF/),
  invalid('LF in a bcc address object', validMessage({ bcc: { address: 'audit@example.net\n' } }), ['bcc'], /CR, LF/),
  invalid('CRLF in an attachment filename', validMessage({ attachments: [{ filename: 'a.txt\r\nContent-Type: text/html', content: 'aGk=' }] }), [
    'attachments[0].filename',
  ]),
  invalid('CRLF in an attachment contentType', validMessage({ attachments: [{ filename: 'a.txt', content: 'aGk=', contentType: 'text/plain\r\nX: y' }] }), [
    'attachments[0].contentType',
  ]),
  invalid('CRLF in an attachment contentId', validMessage({ attachments: [{ filename: 'a.png', content: 'aGk=', contentId: 'logo\r\nX: y' }] }), [
    'attachments[0].contentId',
  ]),
  invalid('LF in a tag value', validMessage({ tags: { order: '42\nforged' } }), ['tags.order'], /control characters/),
  invalid('a relay-owned header: Bcc', validMessage({ headers: { Bcc: 'victim@example.net' } }), ['headers.Bcc'], /set by the relay/),
  invalid('a relay-owned header: Content-Type', validMessage({ headers: { 'Content-Type': 'text/html' } }), ['headers.Content-Type'], /set by the relay/),
  invalid('a relay-owned header: reply-to', validMessage({ headers: { 'reply-to': 'x@example.net' } }), ['headers.reply-to'], /set by the relay/),
  invalid('one header twice in different case', validMessage({ headers: { 'X-A': '1', 'x-a': '2' } }), ['headers.x-a'], /twice/),
];

// Non-ASCII local parts are refused by design (they need SMTPUTF8); internationalised domains are
// converted to xn-- form, so an IDN sender domain is compared, and refused, in that form.
const badAddresses: [string, RegExp][] = [
  ['plainword', /not an email address/],
  ['   ', /empty/],
  ['user@', /not an email address/],
  ['@example.net', /not an email address/],
  ['a..b@example.net', /before "@"/],
  ['.a@example.net', /before "@"/],
  ['a.@example.net', /before "@"/],
  ['a/b@example.net', /before "@"/],
  ['a#b@example.net', /before "@"/],
  ['a?b@example.net', /before "@"/],
  [`${'x'.repeat(65)}@example.net`, /64/],
  ['ユーザー@example.net', /ASCII/],
  ['josé@example.net', /ASCII/],
  ['δοκιμή@example.net', /ASCII/],
  ['a@localhost', /not a valid domain/],
  ['a@1.2.3.4', /not a valid domain/],
  ['a@[127.0.0.1]', /not a valid domain/],
  ['a@example..net', /not a valid domain/],
  ['a@-example.net', /not a valid domain/],
  ['a@example-.net', /not a valid domain/],
  ['a@exa_mple.net', /not a valid domain/],
  ['a@example.net.', /not a valid domain/],
  [`a@${'x'.repeat(64)}.net`, /not a valid domain/],
  [`a@${Array.from({ length: 50 }, () => 'abcde').join('.')}.net`, /not a valid domain|longer than 254/],
  ['a@xn--zz.net', /not a valid domain/],
  ['a@例え..jp', /not a valid domain/],
  ['a@example.net, b@example.net', /exactly one/],
  ['A <a@example.net> <b@example.net>', /exactly one/],
  ['Group: a@example.net, b@example.net;', /exactly one/],
  ['A <a@example.net> trailing', /after the closing/],
  ['Name <>', /not an email address/],
  ['john smith@example.net', /whole text must be the address/],
  ['a@example.net (Name)', /whole text must be the address/],
];

const addresses: BadRequest[] = [
  ...badAddresses.map(([address, says]) => invalid(`invalid recipient ${JSON.stringify(address)}`, validMessage({ to: address }), ['to'], says)),
  invalid('an invalid second recipient in an array', validMessage({ to: ['ok@example.net', 'not-an-address'] }), ['to[1]']),
  invalid('a space inside an address object', validMessage({ to: { address: 'a b@example.net' } }), ['to'], /before "@"/),
  invalid('an invalid sender is 400, not 403', validMessage({ from: 'app@@example.jp' }), ['from']),
  invalid('a non-ASCII local part in the sender', validMessage({ from: '送信@example.jp' }), ['from'], /ASCII/),
  invalid('an invalid cc in object form', validMessage({ cc: [{ address: 'x@localhost' }] }), ['cc[0]'], /not a valid domain/),
  invalid('an invalid replyTo', validMessage({ replyTo: 'reply-at-example.net' }), ['replyTo']),
];

const deep = 100_000;
const nesting: BadRequest[] = [
  invalid(`${deep} levels of [ ] as the body`, '['.repeat(deep) + ']'.repeat(deep), ['(body)'], /JSON object/),
  invalid(`${deep} levels of [ never closed`, '['.repeat(deep), ['(body)'], /not valid JSON/),
  invalid('40,000 levels of {"a": as the body', '{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000), ['a', 'from', 'to', 'subject', 'text']),
  invalid(`${deep} levels of [ ] as a tag value`, withRawMembers(`"tags":{"a":${'['.repeat(deep)}${']'.repeat(deep)}}`), ['tags.a'], /must be a string/),
  invalid('50,000 levels of [ ] as the recipients', withRawMembers(`"cc":${'['.repeat(50_000)}${']'.repeat(50_000)}`), ['cc[0]']),
  invalid('a deep object in an unknown field', withRawMembers(`"extra":${'{"x":'.repeat(30_000)}1${'}'.repeat(30_000)}`), ['extra'], /unknown field/),
];

const wrongTypes: BadRequest[] = [
  ...([42, true, null, [], ['app@example.jp'], {}] as unknown[]).map((v) => invalid(`from = ${JSON.stringify(v)}`, validMessage({ from: v }), ['from'])),
  ...([42, false, {}, ''] as unknown[]).map((v) => invalid(`to = ${JSON.stringify(v)}`, validMessage({ to: v }), ['to'])),
  ...([[42], [null], [[]], [{}]] as unknown[]).map((v) => invalid(`to = ${JSON.stringify(v)}`, validMessage({ to: v }), ['to[0]'])),
  invalid('cc = 42', validMessage({ cc: 42 }), ['cc']),
  invalid('bcc = [true]', validMessage({ bcc: [true] }), ['bcc[0]']),
  invalid('replyTo = {"address": 5}', validMessage({ replyTo: { address: 5 } }), ['replyTo'], /"address" must be a string/),
  invalid('to = {"address": "a@example.net", "name": 5}', validMessage({ to: { address: 'a@example.net', name: 5 } }), ['to'], /"name" must be a string/),
  ...([42, null, true, [], {}] as unknown[]).map((v) => invalid(`subject = ${JSON.stringify(v)}`, validMessage({ subject: v }), ['subject'])),
  ...([42, true, ['x'], { a: 1 }] as unknown[]).map((v) => invalid(`text = ${JSON.stringify(v)}`, validMessage({ text: v }), ['text'], /must be a string/)),
  invalid('html = 42 beside a valid text', validMessage({ html: 42 }), ['html'], /must be a string/),
  ...(['X-A: 1', [], 42] as unknown[]).map((v) => invalid(`headers = ${JSON.stringify(v)}`, validMessage({ headers: v }), ['headers'])),
  ...([1, null, ['v'], { v: 1 }] as unknown[]).map((v) =>
    invalid(`a header value ${JSON.stringify(v)}`, validMessage({ headers: { 'X-A': v } }), ['headers.X-A'], /must be a string/),
  ),
  ...([{}, 'aGk=', 42] as unknown[]).map((v) => invalid(`attachments = ${JSON.stringify(v)}`, validMessage({ attachments: v }), ['attachments'])),
  ...([42, [], null] as unknown[]).map((v) => invalid(`an attachment ${JSON.stringify(v)}`, validMessage({ attachments: [v] }), ['attachments[0]'])),
  invalid('attachment filename = 1', validMessage({ attachments: [{ filename: 1, content: 'aGk=' }] }), ['attachments[0].filename']),
  invalid('attachment content = 1', validMessage({ attachments: [{ filename: 'a.txt', content: 1 }] }), ['attachments[0].content']),
  invalid('attachment contentType = 5', validMessage({ attachments: [{ filename: 'a.txt', content: 'aGk=', contentType: 5 }] }), [
    'attachments[0].contentType',
  ]),
  invalid('attachment contentId = {}', validMessage({ attachments: [{ filename: 'a.txt', content: 'aGk=', contentId: {} }] }), ['attachments[0].contentId']),
  ...(['campaign', [], 42] as unknown[]).map((v) => invalid(`tags = ${JSON.stringify(v)}`, validMessage({ tags: v }), ['tags'])),
  ...([1, null, {}, ['x']] as unknown[]).map((v) =>
    invalid(`a tag value ${JSON.stringify(v)}`, validMessage({ tags: { a: v } }), ['tags.a'], /must be a string/),
  ),
];

// One problem per key or entry: before the answer listed at most 50, these got answers many times the
// size of the request (at 10 MiB: 126 MB, or a 500 when the answer could not even be serialised).
const manyProblems: BadRequest[] = [
  {
    ...invalid('22,000 unknown fields', `{${Array.from({ length: 22_000 }, (_, i) => `"k${i}":1`).join(',')}}`, []),
    expect: { status: 400, says: /more problems are not listed/, maxAnswerBytes: 16_384 },
  },
  {
    ...invalid('120,000 numbers as recipients', withRawMembers(`"cc":[${Array(120_000).fill(1).join(',')}]`), ['cc']),
    expect: { status: 400, fields: ['cc'], says: /has 120000 entries; at most 1000 are read/, maxAnswerBytes: 16_384 },
  },
];

const badBase64: BadRequest[] = ['not base64!', 'aGk', 'aGk=\n', 'aG k=', 'aGk==', '-_8=', 'a===', '====', 'aGk=aGk=', 'aGVsbG8'].map((content) =>
  invalid(
    `attachment content ${JSON.stringify(content)}`,
    validMessage({
      attachments: [
        { filename: 'a.txt', content: 'aGk=' },
        { filename: 'b.txt', content },
      ],
    }),
    ['attachments[1].content'],
    /base64/,
  ),
);

const unknownAndMissing: BadRequest[] = [
  ...['priority', 'From', 'TO', 'template_id', 'attachments ', 'Subject'].map((key) =>
    invalid(`unknown field ${JSON.stringify(key)}`, validMessage({ [key]: 'x' }), [key], /unknown field/),
  ),
  invalid('an unknown field with an empty name', validMessage({ '': 'x' }), ['""'], /unknown field/),
  invalid(
    'an unknown attachment field',
    validMessage({ attachments: [{ filename: 'a.txt', content: 'aGk=', size: 2 }] }),
    ['attachments[0].size'],
    /unknown field/,
  ),
  invalid('an unknown address field', validMessage({ to: { address: 'a@example.net', email: 'a@example.net' } }), ['to'], /unknown field "email"/),
  invalid('an empty object', {}, ['from', 'to', 'subject', 'text']),
  invalid('no from', without('from'), ['from'], /required/),
  invalid('no subject', without('subject'), ['subject'], /required/),
  invalid('no recipient at all', without('to'), ['to'], /at least one recipient/),
  invalid('an empty to and no cc or bcc', validMessage({ to: [] }), ['to'], /at least one recipient/),
  invalid('null recipients everywhere', validMessage({ to: null, cc: null, bcc: null }), ['to'], /at least one recipient/),
  invalid('no text and no html', without('text'), ['text'], /a body is required/),
  invalid('text null and no html', validMessage({ text: null }), ['text'], /a body is required/),
  invalid('an attachment without a filename', validMessage({ attachments: [{ content: 'aGk=' }] }), ['attachments[0].filename']),
  invalid('an attachment without content', validMessage({ attachments: [{ filename: 'a.txt' }] }), ['attachments[0].content']),
];

const notAnObject: BadRequest[] = [
  invalid('an empty body', '', ['(body)'], /not valid JSON/),
  invalid('only whitespace', ' \r\n\t ', ['(body)'], /not valid JSON/),
  invalid('a JSON array of a valid message', JSON.stringify([validMessage()]), ['(body)'], /JSON object/),
  invalid('a JSON string', '"from: app@example.jp"', ['(body)'], /JSON object/),
  invalid('a JSON number', '42', ['(body)'], /JSON object/),
  invalid('JSON true', 'true', ['(body)'], /JSON object/),
  invalid('JSON null', 'null', ['(body)'], /JSON object/),
  invalid('truncated JSON', JSON.stringify(validMessage()).slice(0, 30), ['(body)'], /not valid JSON/),
  invalid('a form post sent as JSON', 'from=app%40example.jp&to=user%40example.net', ['(body)'], /not valid JSON/),
  invalid('single quotes', "{'from':'app@example.jp'}", ['(body)'], /not valid JSON/),
  invalid('a trailing comma', JSON.stringify(validMessage()).replace(/}$/, ',}'), ['(body)'], /not valid JSON/),
];

const prototypeKeys: BadRequest[] = [
  invalid('"__proto__" at the top', withRawMembers('"__proto__":{"from":"app@example.com"}'), ['__proto__'], /unknown field/),
  invalid('"constructor" at the top', withRawMembers('"constructor":{"prototype":{"polluted":true}}'), ['constructor'], /unknown field/),
  invalid('"prototype" at the top', withRawMembers('"prototype":{}'), ['prototype'], /unknown field/),
  invalid(
    '"__proto__" in an address object',
    validMessage({ to: JSON.parse('{"address":"a@example.net","__proto__":{"name":"x"}}') }),
    ['to'],
    /unknown field "__proto__"/,
  ),
  invalid('"__proto__" in an attachment', withRawMembers('"attachments":[{"filename":"a.txt","content":"aGk=","__proto__":{"contentType":"text/html"}}]'), [
    'attachments[0].__proto__',
  ]),
  invalid('"__proto__" as a custom header with a string', withRawMembers('"headers":{"__proto__":"x"}'), ['headers.__proto__']),
  invalid('"__proto__" as a custom header with an object', withRawMembers('"headers":{"__proto__":{"X-A":"v"}}'), ['headers.__proto__']),
  invalid('"__proto__" as a tag', withRawMembers('"tags":{"__proto__":"x"}'), ['tags.__proto__']),
  invalid('"constructor" as a tag with an object', withRawMembers('"tags":{"constructor":{}}'), ['tags.constructor'], /must be a string/),
];

const nulAndControl: BadRequest[] = [
  invalid('a raw NUL byte between members', Buffer.from(JSON.stringify(validMessage()).replace(/}$/, ',\u0000"x":1}')), ['(body)'], /not valid JSON/),
  invalid('a raw NUL byte inside a string', Buffer.from(JSON.stringify(validMessage()).replace('"Hello"', '"Hel\u0000lo"')), ['(body)'], /not valid JSON/),
  invalid('NUL in the subject', validMessage({ subject: 'Hel\u0000lo' }), ['subject'], /control characters/),
  invalid('NUL in the text', validMessage({ text: 'before\u0000after' }), ['text'], /NUL/),
  invalid('NUL in the html', validMessage({ html: '<p>\u0000</p>' }), ['html'], /NUL/),
  invalid('NUL in a header value', validMessage({ headers: { 'X-A': 'a\u0000b' } }), ['headers.X-A'], /control characters/),
  invalid('NUL in a header name', validMessage({ headers: { 'X-\u0000A': 'v' } }), ['headers.X-\u0000A'], /not a valid header name/),
  invalid('NUL in the sender address', validMessage({ from: 'app@example.jp\u0000.evil.example' }), ['from'], /control characters/),
  invalid('NUL in a display name', validMessage({ to: { address: 'a@example.net', name: 'A\u0000' } }), ['to'], /control characters/),
  invalid('NUL in an attachment filename', validMessage({ attachments: [{ filename: 'a\u0000.exe', content: 'aGk=' }] }), ['attachments[0].filename']),
  invalid('NUL in a tag value', validMessage({ tags: { a: '\u0000' } }), ['tags.a'], /control characters/),
  invalid('NUL as an unknown field name', validMessage({ '\u0000': 1 }), ['\u0000'], /unknown field/),
  invalid('an escape character in the subject', validMessage({ subject: 'a\u001b[31mred' }), ['subject'], /control characters/),
];

// "\ud800" escapes are how JSON spells text that has no UTF-8 form.
const unpairedSurrogates: BadRequest[] = [
  invalid('an unpaired surrogate in the subject', validMessage({ subject: 'caf\ud800' }), ['subject'], /surrogate/),
  invalid('an unpaired surrogate in the text', validMessage({ text: '\udc00 text' }), ['text'], /surrogate/),
  invalid('an unpaired surrogate in the html', validMessage({ html: '<p>\ud83d</p>' }), ['html'], /surrogate/),
  invalid('an unpaired surrogate in a display name', validMessage({ from: { address: 'app@example.jp', name: 'App \ud800' } }), ['from'], /surrogate/),
  invalid('an unpaired surrogate in a header value', validMessage({ headers: { 'X-A': '\udfff' } }), ['headers.X-A'], /surrogate/),
  invalid('an unpaired surrogate in a tag value', validMessage({ tags: { a: 'x\ud800y' } }), ['tags.a'], /surrogate/),
  invalid(
    'an unpaired surrogate in a filename',
    validMessage({ attachments: [{ filename: 'a\ud800.txt', content: 'aGk=' }] }),
    ['attachments[0].filename'],
    /surrogate/,
  ),
];

const recipients = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.net`);
const tooManyRecipients: BadRequest[] = [
  invalid(`${MAX_RECIPIENTS + 1} in to`, validMessage({ to: recipients(MAX_RECIPIENTS + 1) }), ['to'], /at most 5/),
  invalid('3 to + 2 cc + 1 bcc', validMessage({ to: recipients(3, 't'), cc: recipients(2, 'c'), bcc: 'b@example.net' }), ['to'], /at most 5/),
  invalid(`${MAX_RECIPIENTS + 1} in bcc only`, { ...without('to'), bcc: recipients(MAX_RECIPIENTS + 1) }, ['to'], /at most 5/),
  invalid('100 in to', validMessage({ to: recipients(100) }), ['to'], /100 recipients/),
];

const forbidden = (name: string, from: unknown, says = /not in RELAY_ALLOWED_SENDER_DOMAINS/): BadRequest => ({
  name,
  body: validMessage({ from }),
  expect: { status: 403, fields: ['from'], says },
});
const senderNotAllowed: BadRequest[] = [
  forbidden('another domain', 'app@elsewhere.example'),
  forbidden('a subdomain of an allowed domain', 'app@mail.example.jp'),
  forbidden('an allowed domain as a prefix', 'app@example.jp.evil.example'),
  forbidden('a look-alike with a Cyrillic "а"', 'app@exаmple.jp', /xn--/),
  forbidden('an IDN domain, compared in xn-- form', '送信者 <app@例え.jp>', /xn--r8jz45g\.jp/),
  forbidden('a display name that looks like an allowed address', '"app@example.jp" <app@evil.example>', /evil\.example/),
  forbidden('the object form', { address: 'app@evil.example', name: 'App' }),
];

const withContentType = (contentType: string | null): BadRequest => ({
  name: `Content-Type ${JSON.stringify(contentType)}`,
  body: JSON.stringify(validMessage()),
  contentType,
  expect: { status: 415, says: /Content-Type|charset/ },
});
const contentTypes: BadRequest[] = [
  null,
  '',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/jsonp',
  'application/json5',
  'application/problem+json',
  'application/json, text/plain',
  'application/xml',
].map(withContentType);

const padded = (bytes: number) => JSON.stringify(validMessage({ text: 'x'.repeat(bytes - JSON.stringify(validMessage({ text: '' })).length) }));
const tooLarge = (name: string, body: string | Buffer, contentType?: string, says = /RELAY_MAX_MESSAGE_BYTES/): BadRequest => ({
  name,
  body,
  contentType,
  expect: { status: 413, says },
});
const oversized: BadRequest[] = [
  tooLarge('one byte over the limit', padded(LIMIT_BYTES + 1)),
  tooLarge('1 MiB', padded(1024 * 1024)),
  tooLarge('8 MiB, far over the limit', padded(8 * 1024 * 1024)),
  tooLarge('over the limit and not even JSON', Buffer.alloc(LIMIT_BYTES + 10, '{')),
  tooLarge('over the limit with another content type', padded(LIMIT_BYTES + 100), 'text/plain'),
  tooLarge('under the limit as JSON, over it once composed', JSON.stringify(validMessage({ text: 'あ'.repeat(80_000) })), undefined, /composed message/),
];

const badKey = (name: string, key: string): BadRequest => ({
  name: `Idempotency-Key ${name}`,
  body: validMessage(),
  headers: { 'Idempotency-Key': key },
  expect: { status: 400, fields: ['Idempotency-Key'], says: /printable ASCII/ },
});
const idempotencyKeys: BadRequest[] = [
  badKey('empty', ''),
  badKey('only spaces (trimmed to empty)', '   '),
  badKey('256 characters', 'k'.repeat(256)),
  badKey('4 KiB', 'k'.repeat(4096)),
  badKey('with a tab', 'order\t42'),
  badKey('with a Latin-1 "é"', 'café'),
  badKey('with raw UTF-8 bytes', Buffer.from('注文-42', 'utf8').toString('latin1')),
];

export const corpus: BadRequest[] = [
  ...headerInjection,
  ...addresses,
  ...nesting,
  ...wrongTypes,
  ...manyProblems,
  ...badBase64,
  ...unknownAndMissing,
  ...notAnObject,
  ...prototypeKeys,
  ...nulAndControl,
  ...unpairedSurrogates,
  ...tooManyRecipients,
  ...senderNotAllowed,
  ...contentTypes,
  ...oversized,
  ...idempotencyKeys,
];

/**
 * Refused only once acceptMessage parses with parseJsonBody (src/core/jsonBody.ts): JSON.parse turns
 * bad bytes into U+FFFD, keeps the last of two equal names, and quotes the body in its messages.
 */
export const strictJsonCorpus: BadRequest[] = [
  invalid(
    'a 0xFF byte in the subject',
    Buffer.concat([Buffer.from('{"from":"app@example.jp","to":"user@example.net","text":"t","subject":"caf'), Buffer.from([0xff]), Buffer.from('"}')]),
    ['(body)'],
    /UTF-8/,
  ),
  invalid(
    'an overlong encoding of "/"',
    Buffer.concat([Buffer.from('{"from":"app@example.jp","to":"user@example.net","text":"t","subject":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    ['(body)'],
    /UTF-8/,
  ),
  invalid(
    'a UTF-8 encoded surrogate',
    Buffer.concat([
      Buffer.from('{"from":"app@example.jp","to":"user@example.net","text":"t","subject":"a'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]),
    ['(body)'],
    /UTF-8/,
  ),
  invalid('Latin-1 text sent as UTF-8', Buffer.from(JSON.stringify(validMessage({ subject: 'Café crème' })), 'latin1'), ['(body)'], /UTF-8/),
  invalid('"to" given twice', '{"from":"app@example.jp","to":"user@example.net","subject":"s","text":"t","to":"other@example.net"}', ['to'], /twice/),
  invalid(
    '"from" given twice, the second not allowed',
    '{"from":"app@example.jp","to":"user@example.net","subject":"s","text":"t","from":"app@evil.example"}',
    ['from'],
    /twice/,
  ),
  invalid('a custom header given twice', withRawMembers('"headers":{"X-A":"1","X-A":"2"}'), ['headers.X-A'], /twice/),
];
