// Reading a delivery status notification as an operator received it: RFC 3464's multipart/report
// (Postfix, Exchange Online, Gmail, Sendmail...), a carrier's own returned-mail text (au/KDDI, see
// ./returnedMailText), or either of them attached to a message that forwarded it. Bytes in, data out:
// what each recipient's report says, and the keys that tie it to the message the relay sent.
import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';
import { readReturnedMailText, type ReturnedMailFormat } from './returnedMailText';

export const DSN_ACTIONS = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as const;
export type DsnAction = (typeof DSN_ACTIONS)[number];

export interface Diagnostic {
  /** the diagnostic type, lower case: `smtp`, `x-postfix`, `x-unix`, or the carrier format's name */
  type: string;
  /** the reply or reason, unfolded onto one line */
  text: string;
  /** the basic SMTP code the reply starts with */
  smtpCode?: number;
}

export interface RecipientReport {
  /** the address the relay sent to: Original-Recipient when given (an alias may have rewritten it), else Final-Recipient */
  recipient: string;
  finalRecipient: string;
  action: DsnAction;
  /** the enhanced status code (RFC 3463), e.g. 5.1.1 */
  status?: string;
  diagnostic?: Diagnostic;
  remoteMta?: string;
  lastAttemptAt?: Date;
}

export interface DeliveryReport {
  format: 'rfc3464' | ReturnedMailFormat;
  /** the DSN's own Message-ID */
  messageId?: string;
  reportingMta?: string;
  arrivalAt?: Date;
  recipients: RecipientReport[];
  /** the message reported on, from the returned message or its headers */
  original: { messageId?: string; returnPath?: string };
  /** where the DSN was delivered (X-Original-To, Delivered-To, To): the VERP address when the bounce came back to one */
  envelopeTo?: string;
  /** the upload was a message carrying the DSN as an attachment, and the attachment was read */
  unwrapped: boolean;
}

export type ReportProblem =
  /** the bytes are not an RFC 5322 message */
  | 'not-a-message'
  /** a message, but neither a delivery-status part nor returned-mail text the relay knows */
  | 'not-a-report'
  /** a delivery-status part without a single per-recipient report in it */
  | 'no-recipients';

export type ReportReading = { ok: true; report: DeliveryReport } | { ok: false; problem: ReportProblem; message: string };

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_MESSAGE_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);
const PARSE_OPTIONS = { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true } as const;

export async function parseDeliveryReport(raw: Buffer): Promise<ReportReading> {
  if (!startsWithHeaderFields(raw)) {
    return {
      ok: false,
      problem: 'not-a-message',
      message: 'is not a mail message: it does not start with header fields (RFC 5322), e.g. "From:" or "Content-Type:"',
    };
  }
  const outer = await parseMime(raw);
  if (!outer) return { ok: false, problem: 'not-a-message', message: 'is not a mail message: its MIME structure cannot be read' };
  const direct = readReport(outer, false);
  if (direct.ok || direct.problem === 'no-recipients') return direct;
  // An operator forwarding the bounce "as attachment": read the one attached message instead (one level).
  const attached = outer.attachments.find((a) => a.contentType === 'message/rfc822' || a.contentType === 'message/global');
  const innerMail = attached && startsWithHeaderFields(attached.content) ? await parseMime(attached.content) : undefined;
  if (innerMail) {
    const inner = readReport(innerMail, true);
    if (inner.ok || inner.problem === 'no-recipients') return inner;
  }
  return {
    ok: false,
    problem: 'not-a-report',
    message:
      'is not a delivery status notification: it has no message/delivery-status part (RFC 3464), no returned-mail text the relay recognises (au/KDDI), and no attached message that is either',
  };
}

/** The parsed message, or undefined when mailparser gives up on it (its errors say nothing a caller can use). */
async function parseMime(raw: Buffer): Promise<ParsedMail | undefined> {
  try {
    return await simpleParser(raw, PARSE_OPTIONS);
  } catch {
    return undefined;
  }
}

function readReport(mail: ParsedMail, unwrapped: boolean): ReportReading {
  const common = {
    messageId: mail.messageId,
    original: returnedMessageKeys(mail.attachments),
    envelopeTo: envelopeRecipient(mail),
    unwrapped,
  };
  const statusPart = mail.attachments.find((a) => STATUS_TYPES.has(a.contentType));
  if (statusPart) {
    const all = fieldBlocks(statusPart.content.toString('utf8'));
    // RFC 3464 starts with the per-message fields; a writer that leaves them out starts with a recipient
    const perMessage = all[0] && !all[0].has('final-recipient') ? all[0] : new Map<string, string>();
    const blocks = perMessage === all[0] ? all.slice(1) : all;
    const recipients = blocks.map(recipientReport).filter((r): r is RecipientReport => r !== undefined);
    if (recipients.length === 0) {
      return {
        ok: false,
        problem: 'no-recipients',
        message: `has a ${statusPart.contentType} part without any per-recipient report in it (a Final-Recipient and a known Action, RFC 3464 section 2.3)`,
      };
    }
    const original = { ...common.original, messageId: common.original.messageId ?? messageIdIn(perMessage.get('x-original-message-id')) };
    return {
      ok: true,
      report: {
        ...common,
        original,
        format: 'rfc3464',
        reportingMta: withoutType(perMessage.get('reporting-mta')),
        arrivalAt: dateOf(perMessage.get('arrival-date')),
        recipients,
      },
    };
  }
  const text = readReturnedMailText({ from: mail.from?.value[0]?.address, subject: mail.subject, headers: mail.headers, text: mail.text ?? '' });
  if (text) {
    const original = common.original.messageId || text.quotedHeaders === undefined ? common.original : originalKeys(text.quotedHeaders);
    return { ok: true, report: { ...common, original, format: text.format, recipients: text.recipients } };
  }
  return { ok: false, problem: 'not-a-report', message: '' };
}

/** Per-message fields, then one block per recipient: header-style fields, blocks split by blank lines. */
export function fieldBlocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let current: Map<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      current = undefined;
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && current && last) {
      current.set(last, `${current.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!current) blocks.push((current = new Map<string, string>()));
    last = line.slice(0, colon).trim().toLowerCase();
    // a field given twice keeps its first value, as the per-recipient rules of RFC 3464 expect one
    if (!current.has(last)) current.set(last, line.slice(colon + 1).trim());
    else last = undefined;
  }
  return blocks;
}

function recipientReport(fields: Map<string, string>): RecipientReport | undefined {
  const finalRecipient = addressOf(fields.get('final-recipient'));
  const action = fields
    .get('action')
    ?.toLowerCase()
    .match(/^[a-z]+/)?.[0];
  if (!finalRecipient || !isAction(action)) return undefined;
  return {
    recipient: addressOf(fields.get('original-recipient')) ?? finalRecipient,
    finalRecipient,
    action,
    status: fields.get('status')?.match(/\b[245]\.\d{1,3}\.\d{1,3}\b/)?.[0],
    diagnostic: diagnosticOf(fields.get('diagnostic-code')),
    remoteMta: withoutType(fields.get('remote-mta')),
    lastAttemptAt: dateOf(fields.get('last-attempt-date')),
  };
}

function isAction(value: string | undefined): value is DsnAction {
  return (DSN_ACTIONS as readonly string[]).includes(value ?? '');
}

/** `smtp; 550-5.1.1 first line ... 550 5.1.1 last line` → type, one line of text, and the basic code. */
export function diagnosticOf(value: string | undefined): Diagnostic | undefined {
  if (!value) return undefined;
  const semicolon = value.indexOf(';');
  const type = semicolon > 0 ? value.slice(0, semicolon).trim().toLowerCase() : 'unknown';
  let text = (semicolon > 0 ? value.slice(semicolon + 1) : value).replace(/\s+/g, ' ').trim();
  const reply = /^([245]\d\d)([ -])((?:[245]\.\d{1,3}\.\d{1,3})?)/.exec(text);
  if (!reply) return { type, text };
  const [, code = '', , enhanced = ''] = reply;
  // a multi-line reply repeats "550-5.1.1 " on every line: keep the words, once
  const repeated = new RegExp(`\\s${code}[ -]${enhanced ? `${enhanced.replace(/\./g, '\\.')}\\s+` : ''}`, 'g');
  text = `${code} ${text.slice(4)}`.replace(repeated, ' ').replace(/\s+/g, ' ');
  return { type, text, smtpCode: Number(code) };
}

/** `rfc822; User@Example.net` or `rfc822;<user@example.net>` → the address, as written. */
function addressOf(value: string | undefined): string | undefined {
  const address = withoutType(value)
    ?.replace(/^<(.*)>$/, '$1')
    .trim();
  return address ? address : undefined;
}

/** `dns; mx.example.net` → `mx.example.net`: drops the address or name type of RFC 3464 fields. */
function withoutType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  return (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim() || undefined;
}

function dateOf(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value.replace(/\([^)]*\)/g, '').trim());
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function messageIdIn(value: string | undefined): string | undefined {
  return value?.match(/<[^<>\s]+>/)?.[0];
}

/** The returned message's Message-ID and Return-Path: the relay's own keys, as they left it. */
function returnedMessageKeys(attachments: readonly Attachment[]): DeliveryReport['original'] {
  const returned = attachments.find((a) => RETURNED_MESSAGE_TYPES.has(a.contentType));
  return returned ? originalKeys(returned.content.toString('utf8')) : {};
}

/** The keys in a header section (anything after its first blank line is ignored). */
function originalKeys(message: string): DeliveryReport['original'] {
  const header = message.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const [fields = new Map<string, string>()] = fieldBlocks(header);
  return { messageId: messageIdIn(fields.get('message-id')), returnPath: addressOf(fields.get('return-path')) };
}

function envelopeRecipient(mail: ParsedMail): string | undefined {
  for (const name of ['x-original-to', 'delivered-to']) {
    const value = mail.headers.get(name);
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof first === 'string' && first.trim()) return first.trim().replace(/^<(.*)>$/, '$1');
  }
  const to = mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined;
  return to || undefined;
}

/** The first line is a header field (RFC 5322 section 2.2: printable name, colon), and no NUL byte is in the head. */
function startsWithHeaderFields(raw: Buffer): boolean {
  const head = raw.subarray(0, 4096).toString('latin1');
  return /^[!-9;-~]+:/.test(head) && !head.includes('\u0000');
}
