// Generated bad requests: a random valid message, then exactly one mutation whose reason is stated
// and whose answer is known (status, and the fields errors[] must name). A mutation never depends on
// luck to be invalid: e.g. bad base64 changes the length so it is no longer a multiple of 4.
import fc from 'fast-check';
import { type BadRequest, LIMIT_BYTES, MAX_RECIPIENTS } from './badInputCorpus';

export const MUTATION_KINDS = [
  'drop-required',
  'wrong-type',
  'crlf-injection',
  'control-character',
  'unpaired-surrogate',
  'invalid-address',
  'unknown-field',
  'bad-base64',
  'too-many-recipients',
  'sender-not-allowed',
  'content-type',
  'oversized',
  'idempotency-key',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutation {
  kind: MutationKind;
  request: BadRequest;
}

type Message = Record<string, unknown>;

const KNOWN_FIELDS = ['from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'headers', 'attachments', 'tags'];
const ATTACHMENT_FIELDS = ['filename', 'content', 'contentType', 'contentId'];

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
const printable = fc.string({ maxLength: 12 }); // printable ASCII
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 24 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s));
const recipient = word.map((w) => `${w}@example.net`);
const base64Of = fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes).toString('base64'));
const attachment = fc.record(
  { filename: fc.stringMatching(/^[a-z]{1,8}\.(txt|pdf|png)$/), content: base64Of, contentType: fc.constantFrom('text/plain', 'application/pdf', 'image/png') },
  { requiredKeys: ['filename', 'content'] },
);

/** A valid message: 1 to 3 recipients, allowed sender, any Unicode subject and body. */
export const validBase: fc.Arbitrary<Message> = fc
  .record(
    {
      from: fc.constantFrom<unknown>('app@example.jp', 'App <app@example.jp>', 'APP@Example.COM', { address: 'app@example.com', name: '送信者' }),
      to: fc.oneof(recipient, fc.array(recipient, { minLength: 1, maxLength: 2 })),
      cc: fc.array(recipient, { maxLength: 1 }),
      subject: unicodeText,
      body: fc.oneof(
        fc.record({ text: unicodeText }),
        fc.record({ html: unicodeText.map((t) => `<p>${t}</p>`) }),
        fc.record({ text: unicodeText, html: fc.constant('<p>hi</p>') }),
      ),
      headers: fc.record({ 'X-Campaign': unicodeText }),
      tags: fc.record({ campaign: unicodeText }),
      attachments: fc.array(attachment, { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ['from', 'to', 'subject', 'body'] },
  )
  .map(({ body, ...rest }) => ({ ...rest, ...body }));

function withMember(message: Message, key: string, value: unknown): Message {
  // defineProperty, so that "__proto__" becomes a member rather than the prototype
  const copy = { ...message };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function bad(kind: MutationKind, name: string, body: BadRequest['body'], status: 400 | 403, fields: string[]): Mutation {
  return { kind, request: { name: `${kind}: ${name}`, body, expect: { status, fields } } };
}

const dropRequired = (m: Message) =>
  fc.constantFrom('from', 'subject', 'recipients', 'body').map((which) => {
    const copy = { ...m };
    const drop = { from: ['from'], subject: ['subject'], recipients: ['to', 'cc', 'bcc'], body: ['text', 'html'] }[which];
    for (const key of drop) delete copy[key];
    return bad('drop-required', `without ${which}`, copy, 400, [drop[0]]);
  });

const nonString = fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string');
const notAMailbox = fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.record({ name: printable }), fc.array(fc.jsonValue({ maxDepth: 1 })));
const notAMailboxItem = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant({}), fc.array(fc.integer()));
const notAnObject = fc.oneof(fc.integer(), fc.boolean(), printable, fc.array(fc.integer()));
const notAnArray = fc.oneof(fc.integer(), fc.boolean(), printable, fc.constant({}));
const notAnAttachment = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), printable, fc.array(fc.integer()));

const wrongType = (m: Message) =>
  fc
    .oneof(
      fc.tuple(fc.constant('from'), fc.oneof(notAMailbox, fc.constant(null))).map(([f, v]) => [f, v, f] as const),
      fc
        .tuple(
          fc.constantFrom('to', 'cc', 'bcc', 'replyTo'),
          notAMailbox.filter((v) => !Array.isArray(v)),
        )
        .map(([f, v]) => [f, v, f] as const),
      fc.tuple(fc.constantFrom('to', 'cc', 'bcc', 'replyTo'), notAMailboxItem).map(([f, v]) => [f, ['ok@example.net', v], `${f}[1]`] as const),
      fc
        .tuple(
          fc.constantFrom('subject', 'text', 'html'),
          nonString.filter((v) => v !== null),
        )
        .map(([f, v]) => [f, v, f] as const),
      fc.tuple(fc.constant('subject'), fc.constant(null)).map(([f, v]) => [f, v, f] as const),
      fc.tuple(fc.constantFrom('headers', 'tags'), notAnObject).map(([f, v]) => [f, v, f] as const),
      fc.tuple(fc.constant('attachments'), notAnArray).map(([f, v]) => [f, v, f] as const),
      nonString.map((v) => ['headers', { 'X-Campaign': v }, 'headers.X-Campaign'] as const),
      nonString.map((v) => ['tags', { campaign: v }, 'tags.campaign'] as const),
      notAnAttachment.map((v) => ['attachments', [v], 'attachments[0]'] as const),
      fc
        .tuple(
          fc.constantFrom('filename', 'content', 'contentType', 'contentId'),
          nonString.filter((v) => v !== null),
        )
        .map(([f, v]) => ['attachments', [{ filename: 'a.txt', content: 'aGk=', [f]: v }], `attachments[0].${f}`] as const),
    )
    .map(([field, value, named]) => bad('wrong-type', `${field} = ${JSON.stringify(value)}`, { ...m, [field]: value }, 400, [named]));

/** Puts `inject` inside a string at `field` of a valid message; returns the body and the field errors[] names. */
const stringTargets: Record<string, (m: Message, s: string) => [Message, string]> = {
  subject: (m, s) => [{ ...m, subject: `Hi ${s}` }, 'subject'],
  headerValue: (m, s) => [{ ...m, headers: { 'X-Campaign': `v${s}` } }, 'headers.X-Campaign'],
  tagValue: (m, s) => [{ ...m, tags: { campaign: `c${s}` } }, 'tags.campaign'],
  filename: (m, s) => [{ ...m, attachments: [{ filename: `a${s}.txt`, content: 'aGk=' }] }, 'attachments[0].filename'],
  senderName: (m, s) => [{ ...m, from: { address: 'app@example.jp', name: `App${s}` } }, 'from'],
  recipientName: (m, s) => [{ ...m, to: `Name${s} <user@example.net>` }, 'to'],
  recipientAddress: (m, s) => [{ ...m, cc: [{ address: `user@example.net${s}` }] }, 'cc[0]'],
};
const targetName = fc.constantFrom(...Object.keys(stringTargets));

const lineBreak = fc.constantFrom('\r\n', '\n', '\r', '\r\nBcc: victim@example.net', '\n\t', '\r\n\r\n<html>');
const crlfInjection = (m: Message) =>
  fc
    .tuple(fc.oneof(targetName, fc.constantFrom('headerName', 'contentType', 'contentId')), printable, lineBreak, printable)
    .map(([target, before, br, after]) => {
      const inject = `${before}${br}${after}`;
      if (target === 'headerName') return bad('crlf-injection', 'in a header name', { ...m, headers: { [`X-${inject}`]: 'v' } }, 400, [`headers.X-${inject}`]);
      if (target === 'contentType' || target === 'contentId') {
        const value = target === 'contentType' ? `text/plain${inject}` : `id${inject}`;
        return bad('crlf-injection', `in ${target}`, { ...m, attachments: [{ filename: 'a.txt', content: 'aGk=', [target]: value }] }, 400, [
          `attachments[0].${target}`,
        ]);
      }
      const [body, field] = stringTargets[target](m, inject);
      return bad('crlf-injection', `in ${target}`, body, 400, [field]);
    });

const controlChar = fc.constantFrom(...[...Array(32).keys()].filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)), '\u007f');
const controlCharacter = (m: Message) =>
  fc.oneof(
    fc.tuple(targetName, controlChar).map(([target, c]) => {
      const [body, field] = stringTargets[target](m, c);
      return bad('control-character', `U+${c.charCodeAt(0).toString(16).padStart(4, '0')} in ${target}`, body, 400, [field]);
    }),
    fc
      .tuple(fc.constantFrom('text', 'html'), printable)
      .map(([field, around]) => bad('control-character', `NUL in ${field}`, { ...m, [field]: `${around}\u0000${around}` }, 400, [field])),
  );

const unpairedSurrogate = (m: Message) =>
  fc
    .tuple(
      fc.oneof(
        targetName.filter((t) => t !== 'recipientAddress'),
        fc.constantFrom('text', 'html'),
      ),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    )
    .map(([target, code]) => {
      const lone = String.fromCharCode(code);
      const [body, field] = target === 'text' || target === 'html' ? [{ ...m, [target]: `x${lone}y` }, target] : stringTargets[target](m, lone);
      return bad('unpaired-surrogate', `\\u${code.toString(16)} in ${target}`, body, 400, [field]);
    });

const nonAsciiLetter = fc.constantFrom('é', 'ü', 'ß', 'δ', 'я', 'ユ', '中', '😀', '\u00a0');
const badAddress: fc.Arbitrary<{ address: string; objectOnly: boolean }> = fc.oneof(
  fc.tuple(word, nonAsciiLetter, word).map(([a, c, b]) => ({ address: `${a}${c}${b}@example.net`, objectOnly: false })),
  fc
    .tuple(word, fc.constantFrom('/', '\\', '#', '?', '..', '(', ')', '[', ']', ';', ':', '"', ' ', ','), word)
    .map(([a, c, b]) => ({ address: `${a}${c}${b}@example.net`, objectOnly: true })),
  word.map((w) => ({ address: `.${w}@example.net`, objectOnly: false })),
  word.map((w) => ({ address: `${w}.@example.net`, objectOnly: false })),
  fc.integer({ min: 65, max: 100 }).map((n) => ({ address: `${'x'.repeat(n)}@example.net`, objectOnly: false })),
  fc
    .tuple(
      word,
      fc.oneof(
        fc.constant('localhost'),
        word,
        fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.0.${a}.${b}`),
        word.map((w) => `${w}_x.net`),
        word.map((w) => `-${w}.net`),
        word.map((w) => `${w}-.net`),
        word.map((w) => `${w}..net`),
        word.map((w) => `${w}.net.`),
        fc.constant(`${'d'.repeat(64)}.net`),
        word.map((w) => `${w}.123`),
      ),
    )
    .map(([w, domain]) => ({ address: `${w}@${domain}`, objectOnly: false })),
  fc.tuple(word, word).map(([a, b]) => ({ address: `${a}example.net${b}`, objectOnly: false })),
  fc.tuple(word, word).map(([a, b]) => ({ address: `${a}@${b}@example.net`, objectOnly: true })),
  fc.tuple(word, word).map(([a, b]) => ({ address: `${a}@example.net, ${b}@example.net`, objectOnly: false })),
  fc.tuple(word, word).map(([a, b]) => ({ address: `A <${a}@example.net> <${b}@example.net>`, objectOnly: false })),
);
const invalidAddress = (m: Message) =>
  fc
    .tuple(fc.constantFrom('from', 'to', 'cc', 'bcc', 'replyTo'), badAddress, fc.constantFrom('string', 'object', 'second in a list'))
    .map(([field, { address, objectOnly }, form]) => {
      const asObject = objectOnly || form === 'object' || (form === 'second in a list' && address.length % 2 === 0);
      const value = asObject ? { address } : address;
      const inList = form === 'second in a list' && field !== 'from';
      const body = { ...m, [field]: inList ? ['ok@example.net', value] : value };
      return bad('invalid-address', `${JSON.stringify(address)} as ${field}${inList ? '[1]' : ''}`, body, 400, [inList ? `${field}[1]` : field]);
    });

const unknownKey = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'From', 'Subject', 'toString', 'valueOf', 'hasOwnProperty', 'priority', 'sendAt', 'template_id'),
);
const unknownField = (m: Message) =>
  fc.tuple(unknownKey, fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('message', 'attachment', 'address')).map(([key, value, where]) => {
    if (where === 'attachment' && !ATTACHMENT_FIELDS.includes(key)) {
      const attachmentWithKey = withMember({ filename: 'a.txt', content: 'aGk=' }, key, value);
      return bad('unknown-field', `${JSON.stringify(key)} in an attachment`, { ...m, attachments: [attachmentWithKey] }, 400, [`attachments[0].${key}`]);
    }
    if (where === 'address' && key !== 'address' && key !== 'name') {
      return bad('unknown-field', `${JSON.stringify(key)} in an address`, { ...m, to: withMember({ address: 'user@example.net' }, key, value) }, 400, ['to']);
    }
    if (KNOWN_FIELDS.includes(key)) return bad('unknown-field', `"X-${key}" in the message`, withMember(m, `X-${key}`, value), 400, [`X-${key}`]);
    return bad('unknown-field', `${JSON.stringify(key)} in the message`, withMember(m, key, value), 400, [key]);
  });

// Valid padded base64 always has a length that is a multiple of 4; adding or removing 1 to 3
// characters anywhere can therefore never give valid base64 again.
const base64Damage = fc.tuple(
  base64Of,
  fc.nat(),
  fc.integer({ min: 1, max: 3 }),
  fc.boolean(),
  fc.array(fc.constantFrom(...'AZaz09+/=-_!. \n\t%'.split('')), { minLength: 3, maxLength: 3 }),
);
const badBase64 = (m: Message) =>
  base64Damage.map(([valid, at, n, remove, chars]) => {
    const pos = valid.length === 0 ? 0 : at % valid.length;
    const content =
      remove && valid.length >= 4 ? valid.slice(0, pos) + valid.slice(pos + n) : valid.slice(0, pos) + chars.slice(0, n).join('') + valid.slice(pos);
    const attachments = [...((m.attachments as unknown[]) ?? []), { filename: 'damaged.bin', content }];
    const index = attachments.length - 1;
    return bad('bad-base64', `${JSON.stringify(content)} (from ${JSON.stringify(valid)})`, { ...m, attachments }, 400, [`attachments[${index}].content`]);
  });

const tooManyRecipients = (m: Message) =>
  fc
    .tuple(fc.uniqueArray(word, { minLength: MAX_RECIPIENTS + 1, maxLength: 3 * MAX_RECIPIENTS, selector: (w) => w.toLowerCase() }), fc.nat(), fc.nat())
    .map(([words, a, b]) => {
      const all = words.map((w) => `${w}@example.net`);
      const [cut1, cut2] = [a % all.length, b % all.length].sort((x, y) => x - y);
      const body = { ...m, to: all.slice(0, cut1), cc: all.slice(cut1, cut2), bcc: all.slice(cut2) };
      return bad('too-many-recipients', `${all.length} recipients`, body, 400, ['to']);
    });

const domain = fc.tuple(fc.array(word, { minLength: 1, maxLength: 2 }), fc.stringMatching(/^[a-z]{2,6}$/)).map(([labels, tld]) => [...labels, tld].join('.'));
const senderNotAllowed = (m: Message) =>
  fc
    .tuple(
      domain.filter((d) => d !== 'example.jp' && d !== 'example.com'),
      word,
      fc.constantFrom('plain', 'named', 'object'),
    )
    .map(([d, local, form]) => {
      const from = form === 'plain' ? `${local}@${d}` : form === 'named' ? `App <${local}@${d}>` : { address: `${local}@${d}`, name: 'App' };
      return bad('sender-not-allowed', `${local}@${d}`, { ...m, from }, 403, ['from']);
    });

const wrongContentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=b',
    'application/xml',
    'application/json-patch+json',
    'application/jsonl',
    '',
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,12}$/), fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,15}$/))
    .map(([t, s]) => `${t}/${s}`)
    .filter((ct) => ct !== 'application/json'),
  fc
    .stringMatching(/^[a-z0-9-]{1,12}$/)
    .filter((c) => c !== 'utf-8')
    .map((charset) => `application/json; charset=${charset}`),
);
const contentType = (m: Message) =>
  wrongContentType.map((ct): Mutation => ({
    kind: 'content-type',
    request: { name: `content-type: ${JSON.stringify(ct)}`, body: m, contentType: ct, expect: { status: 415, says: /Content-Type|charset/ } },
  }));

const oversized = (m: Message) =>
  fc.integer({ min: LIMIT_BYTES + 1, max: 4 * LIMIT_BYTES }).map((size): Mutation => {
    const room = size - Buffer.byteLength(JSON.stringify({ ...m, text: '' }));
    return {
      kind: 'oversized',
      request: {
        name: `oversized: ${size} bytes`,
        body: JSON.stringify({ ...m, text: 'x'.repeat(room) }),
        expect: { status: 413, says: /RELAY_MAX_MESSAGE_BYTES/ },
      },
    };
  });

const alnum = fc.stringMatching(/^[A-Za-z0-9]{1,20}$/);
const badKey = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 256, maxLength: 600 }).map((s) => `k${s}k`.replace(/ /g, '-')),
  fc
    .tuple(alnum, fc.constantFrom('\t', ...Array.from({ length: 8 }, (_, i) => String.fromCharCode(0x80 + i * 16 + 7))), alnum)
    .map(([a, c, b]) => `${a}${c}${b}`),
);
const idempotencyKey = (m: Message) =>
  badKey.map((key): Mutation => ({
    kind: 'idempotency-key',
    request: {
      name: `Idempotency-Key ${JSON.stringify(key.slice(0, 40))} (${key.length} chars)`,
      body: m,
      headers: { 'Idempotency-Key': key },
      expect: { status: 400, fields: ['Idempotency-Key'] },
    },
  }));

const mutators: Record<MutationKind, (m: Message) => fc.Arbitrary<Mutation>> = {
  'drop-required': dropRequired,
  'wrong-type': wrongType,
  'crlf-injection': crlfInjection,
  'control-character': controlCharacter,
  'unpaired-surrogate': unpairedSurrogate,
  'invalid-address': invalidAddress,
  'unknown-field': unknownField,
  'bad-base64': badBase64,
  'too-many-recipients': tooManyRecipients,
  'sender-not-allowed': senderNotAllowed,
  'content-type': contentType,
  oversized,
  'idempotency-key': idempotencyKey,
};

/** One known-invalid request: a valid message with one mutation of any kind. */
export const badRequest: fc.Arbitrary<Mutation> = fc
  .tuple(validBase, fc.constantFrom(...MUTATION_KINDS))
  .chain(([message, kind]) => mutators[kind](message))
  .map((mutation) => Object.assign(mutation, { [fc.toStringMethod]: () => `${mutation.request.name} ${summary(mutation.request.body)}` }));

function summary(body: BadRequest['body']): string {
  const text = Buffer.isBuffer(body) ? body.toString('latin1') : typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} characters)` : text;
}
