// Builds the RFC 5322 message once, at accept time, with nodemailer's MailComposer. The relay then
// sends these exact bytes to every recipient, so Message-ID and Date are the same in every copy and
// no MIME work is repeated per delivery. Bcc recipients are in the envelope only, never a header.
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Mailbox } from './address';
import { encodedWords, encodeIso2022Jp } from './iso2022jp';
import type { DestinationCharset } from './policy/types';
import type { SendRequest } from './sendRequest';

export function messageIdFor(id: string, request: SendRequest): string {
  const domain = request.from.address.slice(request.from.address.lastIndexOf('@') + 1);
  return `<${id}@${domain}>`;
}

export function composeMessage(id: string, request: SendRequest, date: Date): Promise<Buffer> {
  return build(composer(id, request, date, {}));
}

/** A message in a destination's charset, or the field and character that charset cannot carry. */
export type CharsetComposition = { ok: true; raw: Buffer } | { ok: false; field: 'subject' | 'text' | 'html'; character: string };

/**
 * The message with its subject, text and html in `charset` (ISO-2022-JP: the subject as encoded-words,
 * the parts 7bit); everything else (ids, date, addresses, attachments) as composeMessage makes it.
 */
export async function composeInCharset(id: string, request: SendRequest, date: Date, charset: DestinationCharset): Promise<CharsetComposition> {
  void charset; // ISO-2022-JP is the one charset so far
  const subject = encodedWords(request.subject);
  if (subject && !subject.ok) return { ok: false, field: 'subject', character: subject.character };
  const placeholders = new Map<string, Buffer>();
  const parts: Parts = {};
  for (const field of ['text', 'html'] as const) {
    const content = request[field];
    if (content === undefined) continue;
    const encoded = encodeIso2022Jp(content.replace(/\r\n|\r|\n/g, '\r\n'));
    if (!encoded.ok) return { ok: false, field, character: encoded.character };
    const contentType = `text/${field === 'text' ? 'plain' : 'html'}; charset=ISO-2022-JP`;
    if (longestLine(encoded.bytes) > MAX_LINE_OCTETS) {
      // 7bit allows lines of 998 octets; a longer one goes as base64, which decodes to the same bytes
      parts[field] = { content: encoded.bytes, contentType, contentTransferEncoding: 'base64' };
    } else {
      // nodemailer would quote-print the ESC bytes: a placeholder goes through it, the bytes replace it
      const placeholder = `relay-part-${randomBytes(12).toString('hex')}`;
      placeholders.set(placeholder, encoded.bytes);
      parts[field] = { content: placeholder, contentType, contentTransferEncoding: '7bit' };
    }
  }
  const headers: Overrides['headers'] = subject ? { Subject: { prepared: true, value: subject.bytes.toString('latin1') } } : {};
  // copies: MailComposer writes its own contentType into the objects it is given
  const given = { text: parts.text && { ...parts.text }, html: parts.html && { ...parts.html } };
  const compiled = composer(id, request, date, { ...given, headers, subject: subject ? undefined : request.subject }).compile();
  // and "charset=utf-8" on every text part's node whatever it is given: ours is set on the nodes
  for (const part of Object.values(parts)) setContentType(compiled, part);
  let raw = await build(compiled);
  for (const [placeholder, bytes] of placeholders) {
    const at = raw.indexOf(placeholder, 0, 'latin1');
    if (at < 0) throw new Error('the composed ISO-2022-JP part lost its placeholder');
    // a single-part message: nodemailer ends it with a CRLF of its own, which would add a line to the text
    const end = at + placeholder.length;
    const rest = end + 2 === raw.length && raw.toString('latin1', end) === '\r\n' ? raw.length : end;
    raw = Buffer.concat([raw.subarray(0, at), bytes, raw.subarray(rest)]);
  }
  return { ok: true, raw };
}

type Part = { content: string | Buffer; contentType: string; contentTransferEncoding: string };
type Parts = { text?: Part; html?: Part };
type Overrides = Parts & { subject?: string; headers?: Record<string, { prepared: true; value: string }> };

const MAX_LINE_OCTETS = 998;

function composer(id: string, request: SendRequest, date: Date, overrides: Overrides): MailComposer {
  return new MailComposer({
    from: toAddress(request.from),
    to: request.to.map(toAddress),
    cc: request.cc.map(toAddress),
    replyTo: request.replyTo.length > 0 ? request.replyTo.map(toAddress) : undefined,
    subject: 'subject' in overrides ? overrides.subject : request.subject,
    text: overrides.text ?? request.text,
    html: overrides.html ?? request.html,
    headers: { ...request.headers, ...overrides.headers },
    messageId: messageIdFor(id, request),
    date,
    attachments: request.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      cid: a.contentId,
    })),
  });
}

type Node = ReturnType<MailComposer['compile']>;

function build(from: MailComposer | Node): Promise<Buffer> {
  const node = from instanceof MailComposer ? from.compile() : from;
  return new Promise((resolve, reject) => {
    node.build((err, message) => (err ? reject(err) : resolve(message)));
  });
}

function setContentType(node: Node, part: Part): void {
  const tree = node as Node & { content?: unknown; childNodes?: Node[] };
  if (tree.content === part.content) tree.setHeader('Content-Type', part.contentType);
  for (const child of tree.childNodes ?? []) setContentType(child, part);
}

function longestLine(bytes: Buffer): number {
  let longest = 0;
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, start)) {
    longest = Math.max(longest, i - start - 1);
    start = i + 1;
  }
  return Math.max(longest, bytes.length - start);
}

function toAddress(m: Mailbox): { name: string; address: string } {
  return { name: m.name ?? '', address: m.address };
}
