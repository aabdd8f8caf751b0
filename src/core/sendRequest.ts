// Validation of the JSON body of POST /api/v1/messages. Pure: it takes the parsed JSON and the limits,
// and returns either a SendRequest or every problem found, each naming its field.
import { type FieldError } from '../errors';
import { CONTROL_CHARS, type Mailbox, parseMailbox, recipientKey, domainOf, UNPAIRED_SURROGATE } from './address';

export interface AttachmentSpec {
  filename: string;
  content: Buffer;
  contentType?: string;
  contentId?: string;
}

export interface SendRequest {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  replyTo: Mailbox[];
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
  attachments: AttachmentSpec[];
  tags: Record<string, string>;
  /** add one-click unsubscribe headers (RFC 8058) for each recipient at relay time */
  unsubscribe: boolean;
  /** every envelope recipient once (to, cc, bcc; duplicates dropped, case-insensitively) */
  recipients: Mailbox[];
}

export interface SendLimits {
  maxRecipients: number;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** No address list may be longer than this, duplicates included: far above any valid message. */
const MAX_LIST_ENTRIES = 1000;

const KNOWN_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'headers', 'attachments', 'tags', 'unsubscribe']);
const ATTACHMENT_FIELDS = new Set(['filename', 'content', 'contentType', 'contentId']);
// Headers the relay writes itself; letting a caller set them would forge or break the message.
const OWNED_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'reply-to', 'sender', 'return-path']);
// Written per recipient by the relay when the request sets "unsubscribe"; a caller that does not may
// still give its own (the form that worked before "unsubscribe" existed).
const UNSUBSCRIBE_HEADERS = new Set(['list-unsubscribe', 'list-unsubscribe-post']);
const HEADER_NAME = /^[!-9;-~]{1,76}$/; // printable ASCII without ":" (RFC 5322 ftext)
const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const UNPAIRED_SURROGATE_MESSAGE = 'contains an unpaired surrogate (a \\uD800-\\uDFFF escape without its pair); it must be valid Unicode';
// Past this many problems the answer would only grow with the request (one entry per bad key).
const MAX_REPORTED_ERRORS = 50;
const MAX_TAGS = 20;
const MAX_TAG_VALUE = 256;
const MAX_HEADERS = 50;
const MAX_HEADER_VALUE = 2000;
const MAX_SUBJECT = 2000;
const MAX_ATTACHMENTS = 100;

export function validateSendRequest(body: unknown, limits: SendLimits): Validated<SendRequest> {
  const errors: FieldError[] = [];
  let unreported = 0;
  const problem = (field: string, message: string) => {
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ field, message });
    else unreported++;
  };

  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) problem(key === '' ? '""' : key, `unknown field (accepted: ${[...KNOWN_FIELDS].join(', ')})`);
  }

  const mailbox = (field: string, value: unknown): Mailbox | undefined => {
    const parsed = parseMailbox(value);
    if (!parsed.ok) problem(field, parsed.message);
    return parsed.ok ? parsed.value : undefined;
  };
  const mailboxList = (field: string): Mailbox[] => {
    const value = input[field];
    if (value === undefined || value === null) return [];
    const items = Array.isArray(value) ? value : [value];
    if (items.length > MAX_LIST_ENTRIES) {
      // Refused before any entry is parsed: a huge list would cost seconds of CPU to examine.
      problem(field, `has ${items.length} entries; at most ${MAX_LIST_ENTRIES} are read (and at most ${limits.maxRecipients} recipients accepted)`);
      return [];
    }
    const path = (i: number) => (Array.isArray(value) ? `${field}[${i}]` : field);
    return items.map((item, i) => mailbox(path(i), item)).filter((m): m is Mailbox => m !== undefined);
  };

  let from: Mailbox | undefined;
  if (input.from === undefined) problem('from', 'is required');
  else from = mailbox('from', input.from);

  const to = mailboxList('to');
  const cc = mailboxList('cc');
  const bcc = mailboxList('bcc');
  const replyTo = mailboxList('replyTo');
  const recipients = uniqueRecipients([...to, ...cc, ...bcc]);
  const listed = ['to', 'cc', 'bcc'].some(
    (f) => input[f] !== undefined && input[f] !== null && !(Array.isArray(input[f]) && (input[f] as unknown[]).length === 0),
  );
  if (!listed) problem('to', 'at least one recipient is required in to, cc or bcc');
  if (recipients.length > limits.maxRecipients) {
    problem('to', `${recipients.length} recipients in to, cc and bcc; at most ${limits.maxRecipients} are accepted in one message`);
  }

  const subject = input.subject;
  if (subject === undefined) problem('subject', 'is required');
  else if (typeof subject !== 'string') problem('subject', 'must be a string');
  else if (/[\r\n]/.test(subject)) problem('subject', 'must not contain CR or LF');
  else if (CONTROL_CHARS.test(subject)) problem('subject', 'must not contain control characters');
  else if (UNPAIRED_SURROGATE.test(subject)) problem('subject', UNPAIRED_SURROGATE_MESSAGE);
  else if (subject.length > MAX_SUBJECT) problem('subject', `is longer than ${MAX_SUBJECT} characters`);

  const text = bodyText(input, 'text', problem);
  const html = bodyText(input, 'html', problem);
  // null counts as absent, as it does for every optional field; a wrong type is reported on its own
  if (input.text == null && input.html == null) problem('text', 'a body is required: give text, html or both');

  const unsubscribe = input.unsubscribe ?? false;
  if (typeof unsubscribe !== 'boolean') problem('unsubscribe', 'must be true or false');
  const headers = readHeaders(input.headers, unsubscribe === true, problem);
  const attachments = readAttachments(input.attachments, problem);
  const tags = readTags(input.tags, problem);

  if (unreported > 0) errors.push({ field: '(body)', message: `${unreported} more problems are not listed` });
  if (errors.length > 0 || !from) return { ok: false, errors };
  return {
    ok: true,
    value: { from, to, cc, bcc, replyTo, subject: subject as string, text, html, headers, attachments, tags, unsubscribe: unsubscribe === true, recipients },
  };
}

export function senderDomain(request: SendRequest): string {
  return domainOf(request.from.address);
}

function uniqueRecipients(mailboxes: Mailbox[]): Mailbox[] {
  const seen = new Map<string, Mailbox>();
  for (const m of mailboxes) if (!seen.has(recipientKey(m.address))) seen.set(recipientKey(m.address), m);
  return [...seen.values()];
}

type Report = (field: string, message: string) => void;

function bodyText(input: Record<string, unknown>, field: string, problem: Report): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') problem(field, 'must be a string');
  // RFC 5322 and 2045 allow no NUL in a message's text; some mail clients cut the text there.
  else if (value.includes('\u0000')) problem(field, 'must not contain NUL (\\u0000) characters');
  else if (UNPAIRED_SURROGATE.test(value)) problem(field, UNPAIRED_SURROGATE_MESSAGE);
  else return value;
  return undefined;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readHeaders(value: unknown, unsubscribe: boolean, problem: Report): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!plainObject(value)) {
    problem('headers', 'must be an object of header name to string value');
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) problem('headers', `at most ${MAX_HEADERS} custom headers are accepted`);
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, headerValue] of entries) {
    const field = `headers.${name}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) problem(field, 'is not a valid header name (printable ASCII without ":" or spaces, at most 76 characters)');
    // assigned to a plain object it would be dropped without a word (it sets the prototype instead)
    else if (lower === '__proto__') problem(field, 'is not accepted as a header name');
    else if (OWNED_HEADERS.has(lower) || lower.startsWith('content-')) {
      problem(field, 'is set by the relay and cannot be given as a custom header (use the matching field instead)');
    } else if (unsubscribe && UNSUBSCRIBE_HEADERS.has(lower)) {
      problem(field, 'is written by the relay because "unsubscribe" is true; leave it out, or set "unsubscribe" to false to give your own');
    } else if (seen.has(lower)) problem(field, 'is given twice (header names are case-insensitive)');
    else if (typeof headerValue !== 'string') problem(field, 'must be a string');
    else if (/[\r\n]/.test(headerValue)) problem(field, 'must not contain CR or LF');
    else if (CONTROL_CHARS.test(headerValue)) problem(field, 'must not contain control characters');
    else if (UNPAIRED_SURROGATE.test(headerValue)) problem(field, UNPAIRED_SURROGATE_MESSAGE);
    else if (headerValue.length > MAX_HEADER_VALUE) problem(field, `is longer than ${MAX_HEADER_VALUE} characters`);
    else headers[name] = headerValue;
    seen.add(lower);
  }
  return headers;
}

function readAttachments(value: unknown, problem: Report): AttachmentSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problem('attachments', 'must be an array of {filename, content, contentType?, contentId?}');
    return [];
  }
  if (value.length > MAX_ATTACHMENTS) problem('attachments', `at most ${MAX_ATTACHMENTS} attachments are accepted`);
  const attachments: AttachmentSpec[] = [];
  value.slice(0, MAX_ATTACHMENTS).forEach((item, i) => {
    const attachment = readAttachment(item, `attachments[${i}]`, problem);
    if (attachment) attachments.push(attachment);
  });
  return attachments;
}

function readAttachment(item: unknown, field: string, problem: Report): AttachmentSpec | undefined {
  if (!plainObject(item)) {
    problem(field, 'must be an object {filename, content, contentType?, contentId?}');
    return undefined;
  }
  let valid = true;
  const bad = (path: string, message: string) => {
    problem(`${field}.${path}`, message);
    valid = false;
  };
  for (const key of Object.keys(item)) if (!ATTACHMENT_FIELDS.has(key)) bad(key, 'unknown field');
  const { filename, content, contentType, contentId } = item;
  if (typeof filename !== 'string' || filename.trim() === '') bad('filename', 'is required and must be a non-empty string');
  else if (CONTROL_CHARS.test(filename) || /[\\/]/.test(filename)) bad('filename', 'must not contain control characters, "/" or "\\"');
  else if (filename.length > 255) bad('filename', 'is longer than 255 characters');
  else if (UNPAIRED_SURROGATE.test(filename)) bad('filename', UNPAIRED_SURROGATE_MESSAGE);
  if (typeof content !== 'string') bad('content', 'is required and must be a base64 string');
  else if (!BASE64.test(content)) bad('content', 'is not valid base64 (RFC 4648, padded, no line breaks)');
  if (contentType !== undefined && (typeof contentType !== 'string' || !MIME_TYPE.test(contentType))) {
    bad('contentType', 'must be a MIME type such as "application/pdf"');
  }
  if (contentId !== undefined && (typeof contentId !== 'string' || !/^[!-;=?-~]{1,250}$/.test(contentId))) {
    bad('contentId', 'must be printable ASCII without "<", ">" or spaces, at most 250 characters');
  }
  if (!valid) return undefined;
  return {
    filename: filename as string,
    content: Buffer.from(content as string, 'base64'),
    ...(typeof contentType === 'string' ? { contentType } : {}),
    ...(typeof contentId === 'string' ? { contentId } : {}),
  };
}

function readTags(value: unknown, problem: Report): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!plainObject(value)) {
    problem('tags', 'must be an object of name to string value');
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS) problem('tags', `at most ${MAX_TAGS} tags are accepted`);
  const tags: Record<string, string> = {};
  for (const [name, tagValue] of entries) {
    const field = `tags.${name}`;
    if (!TAG_NAME.test(name)) problem(field, 'a tag name is a letter then up to 63 letters, digits or "_"');
    else if (typeof tagValue !== 'string') problem(field, 'must be a string');
    else if (tagValue.length > MAX_TAG_VALUE) problem(field, `is longer than ${MAX_TAG_VALUE} characters`);
    else if (CONTROL_CHARS.test(tagValue)) problem(field, 'must not contain control characters');
    else if (UNPAIRED_SURROGATE.test(tagValue)) problem(field, UNPAIRED_SURROGATE_MESSAGE);
    else tags[name] = tagValue;
  }
  return tags;
}
