// SendGrid v3 Mail Send bodies as the relay's own send requests. Pure: the parsed JSON and the limits
// in, one SendRequest per personalization out (each is its own message), or every problem found with
// SendGrid's field paths ("personalizations.0.to.1.email"). What the relay cannot do as asked is
// refused by name rather than dropped: a caller must not believe a template or tracking was applied.
import type { FieldError } from '../errors';
import { type SendLimits, type SendRequest, type Validated, validateSendRequest } from './sendRequest';

export interface SendGridMessage {
  request: SendRequest;
  /** the personalization's send_at, when it lies in the future */
  notBefore?: Date;
}

export interface SendGridMail {
  messages: SendGridMessage[];
  /** mail_settings.sandbox_mode.enable: validate, queue nothing */
  sandbox: boolean;
}

/** A delayed send waits on the queue, whose visibility delay ends at 7 days. */
export const MAX_SEND_AT_SECONDS = 7 * 24 * 60 * 60;
export const MAX_PERSONALIZATIONS = 1000;
const MAX_TOTAL_RECIPIENTS = 1000;
const MAX_CATEGORIES = 10;
/** custom_args become tags; categories the one tag `categories`, joined by commas */
export const CATEGORIES_TAG = 'categories';

const TOP_FIELDS = new Set([
  'personalizations',
  'from',
  'reply_to',
  'reply_to_list',
  'subject',
  'content',
  'attachments',
  'headers',
  'categories',
  'custom_args',
  'send_at',
  'mail_settings',
  'tracking_settings',
]);
const PERSONALIZATION_FIELDS = new Set(['to', 'cc', 'bcc', 'from', 'subject', 'headers', 'custom_args', 'send_at']);
const ATTACHMENT_FIELDS = new Set(['content', 'type', 'filename', 'disposition', 'content_id']);
/** What the relay does not do, with the reason given to the caller. */
const NOT_DONE: Record<string, string> = {
  template_id: 'templates are not supported by this relay; render the content and send it in "content"',
  dynamic_template_data: 'templates are not supported by this relay; render the content and send it in "content"',
  substitutions: 'substitutions are not supported by this relay; render the content per personalization',
  sections: 'sections are not supported by this relay; render the content',
  asm: 'unsubscribe groups (ASM) are not supported by this relay',
  batch_id: 'batches are not supported by this relay (a scheduled send cannot be cancelled)',
  ip_pool_name: 'IP pools are not supported by this relay',
};

export function mapSendGridMail(body: unknown, limits: SendLimits, now: Date): Validated<SendGridMail> {
  const errors: FieldError[] = [];
  const problem = (field: string, message: string) => {
    // one problem per field: a bad entry is reported by the mapping and again by the relay's checks
    if (!errors.some((e) => e.field === field)) errors.push({ field, message });
  };
  if (!isObject(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  for (const key of Object.keys(body)) {
    if (NOT_DONE[key]) problem(key, NOT_DONE[key]);
    else if (!TOP_FIELDS.has(key)) problem(key, 'is not a field of the v3 Mail Send body');
  }
  const sandbox = readSettings(body, problem);
  const content = readContent(body.content, problem);
  const attachments = readAttachments(body.attachments, problem);
  const categories = readCategories(body.categories, problem);
  const topSendAt = readSendAt(body.send_at, 'send_at', now, problem);
  const replyTo = readReplyTo(body, problem);

  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    problem('personalizations', 'at least one personalization is required');
    return { ok: false, errors };
  }
  if (personalizations.length > MAX_PERSONALIZATIONS) {
    problem('personalizations', `${personalizations.length} personalizations; at most ${MAX_PERSONALIZATIONS} are accepted in one request`);
    return { ok: false, errors };
  }
  const messages: SendGridMessage[] = [];
  personalizations.forEach((p: unknown, n) => {
    const at = `personalizations.${n}`;
    if (!isObject(p)) return problem(at, 'must be an object');
    for (const key of Object.keys(p)) {
      if (NOT_DONE[key]) problem(`${at}.${key}`, NOT_DONE[key]);
      else if (!PERSONALIZATION_FIELDS.has(key)) problem(`${at}.${key}`, 'is not a field of a personalization');
    }
    if (!Array.isArray(p.to) || p.to.length === 0) problem(`${at}.to`, 'at least one recipient is required in each personalization');
    const customArgs = merged(body.custom_args, p.custom_args, 'custom_args', `${at}.custom_args`, problem);
    const relayBody = {
      from: mailbox(p.from ?? body.from, p.from !== undefined ? `${at}.from` : 'from', problem),
      to: mailboxes(p.to, `${at}.to`, problem),
      cc: mailboxes(p.cc, `${at}.cc`, problem),
      bcc: mailboxes(p.bcc, `${at}.bcc`, problem),
      replyTo,
      subject: p.subject ?? body.subject,
      ...content,
      headers: merged(body.headers, p.headers, 'headers', `${at}.headers`, problem),
      attachments,
      tags: { ...customArgs, ...categories },
    };
    if (CATEGORIES_TAG in customArgs && CATEGORIES_TAG in categories) problem('custom_args.categories', 'is the tag the categories are kept in; rename it');
    const sendAt = p.send_at !== undefined ? readSendAt(p.send_at, `${at}.send_at`, now, problem) : topSendAt;
    const validated = validateSendRequest(relayBody, limits);
    if (!validated.ok) {
      for (const e of validated.errors) problem(sendGridField(e.field, n, p), e.message);
      return;
    }
    messages.push({ request: validated.value, ...(sendAt ? { notBefore: sendAt } : {}) });
  });
  const total = messages.reduce((sum, m) => sum + m.request.recipients.length, 0);
  if (total > MAX_TOTAL_RECIPIENTS)
    problem('personalizations', `${total} recipients in all; at most ${MAX_TOTAL_RECIPIENTS} (to, cc and bcc) are accepted in one request`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { messages, sandbox } };
}

type Report = (field: string, message: string) => void;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** mail_settings and tracking_settings: only what leaves the message as the relay sends it anyway. */
function readSettings(body: Record<string, unknown>, problem: Report): boolean {
  let sandbox = false;
  for (const group of ['mail_settings', 'tracking_settings'] as const) {
    const settings = body[group];
    if (settings === undefined || settings === null) continue;
    if (!isObject(settings)) {
      problem(group, 'must be an object');
      continue;
    }
    for (const [name, setting] of Object.entries(settings)) {
      const field = `${group}.${name}`;
      if (!isObject(setting) || (setting.enable !== undefined && typeof setting.enable !== 'boolean'))
        problem(field, 'must be an object {"enable": true | false}');
      else if (group === 'mail_settings' && name === 'sandbox_mode') sandbox = setting.enable === true;
      else if (setting.enable === true) {
        problem(
          `${field}.enable`,
          `${name} is not supported by this relay${group === 'tracking_settings' ? ' (it does no tracking)' : ''}; leave it out or set "enable": false`,
        );
      }
    }
  }
  return sandbox;
}

/** text/plain first, then text/html (SendGrid's order); the relay sends no other part types. */
function readContent(value: unknown, problem: Report): { text?: string; html?: string } {
  if (!Array.isArray(value) || value.length === 0) {
    problem('content', 'at least one content of type text/plain or text/html is required');
    return {};
  }
  const parts: { text?: string; html?: string } = {};
  value.forEach((item: unknown, i) => {
    const field = `content.${i}`;
    if (!isObject(item)) return problem(field, 'must be an object {"type", "value"}');
    const type = typeof item.type === 'string' ? item.type.toLowerCase() : undefined;
    const key = type === 'text/plain' ? 'text' : type === 'text/html' ? 'html' : undefined;
    if (!key) return problem(`${field}.type`, 'only text/plain and text/html are supported');
    if (typeof item.value !== 'string' || item.value === '') return problem(`${field}.value`, 'must be a string at least one character in length');
    if (parts[key] !== undefined) return problem(`${field}.type`, `${type} is given twice`);
    if (key === 'text' && parts.html !== undefined) return problem(`${field}.type`, 'text/plain must come first, before text/html');
    parts[key] = item.value;
  });
  return parts;
}

function readAttachments(value: unknown, problem: Report): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problem('attachments', 'must be an array');
    return [];
  }
  return value.map((item: unknown, i) => {
    const field = `attachments.${i}`;
    if (!isObject(item)) return item; // the relay's validation names it
    for (const key of Object.keys(item)) if (!ATTACHMENT_FIELDS.has(key)) problem(`${field}.${key}`, 'is not a field of an attachment');
    const disposition = item.disposition ?? 'attachment';
    if (disposition !== 'attachment' && disposition !== 'inline') problem(`${field}.disposition`, 'must be "attachment" or "inline"');
    if (disposition === 'inline' && item.content_id === undefined) problem(`${field}.content_id`, 'is required for an inline attachment');
    return {
      filename: item.filename,
      content: item.content,
      ...(item.type !== undefined ? { contentType: item.type } : {}),
      // only an inline part is referred to by cid; an attachment keeps no id (SendGrid drops it too)
      ...(disposition === 'inline' ? { contentId: item.content_id } : {}),
    };
  });
}

function readCategories(value: unknown, problem: Report): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string' || c === '')) {
    problem('categories', 'must be an array of non-empty strings');
    return {};
  }
  const categories = value as string[];
  if (categories.length > MAX_CATEGORIES) problem('categories', `at most ${MAX_CATEGORIES} categories are accepted`);
  if (categories.some((c) => c.includes(','))) problem('categories', 'a category must not contain "," (they are stored joined by commas)');
  if (new Set(categories).size !== categories.length) problem('categories', 'each category may be given once');
  return categories.length > 0 ? { [CATEGORIES_TAG]: categories.join(',') } : {};
}

/** A time to send at in the future; a past one sends now, as SendGrid does. */
function readSendAt(value: unknown, field: string, now: Date, problem: Report): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    problem(field, 'must be a UNIX timestamp in seconds');
    return undefined;
  }
  const delay = value - Math.floor(now.getTime() / 1000);
  if (delay > MAX_SEND_AT_SECONDS) {
    problem(field, `is ${delay} seconds ahead; this relay schedules at most ${MAX_SEND_AT_SECONDS} seconds (7 days) ahead`);
    return undefined;
  }
  return delay > 0 ? new Date(value * 1000) : undefined;
}

function readReplyTo(body: Record<string, unknown>, problem: Report): unknown[] {
  if (body.reply_to !== undefined && body.reply_to_list !== undefined) {
    problem('reply_to_list', 'give reply_to or reply_to_list, not both');
    return [];
  }
  if (body.reply_to !== undefined) {
    const one = mailbox(body.reply_to, 'reply_to', problem);
    return one === undefined ? [] : [one];
  }
  return mailboxes(body.reply_to_list, 'reply_to_list', problem) ?? [];
}

/** {"email", "name"} as the relay's {"address", "name"}; the address itself is checked by the relay. */
function mailbox(value: unknown, field: string, problem: Report): unknown {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.email !== 'string') {
    problem(`${field}.email`, 'an email object {"email", "name"?} is required');
    return undefined;
  }
  for (const key of Object.keys(value)) if (key !== 'email' && key !== 'name') problem(`${field}.${key}`, 'is not a field of an email object');
  return { address: value.email, ...(value.name !== undefined ? { name: value.name } : {}) };
}

function mailboxes(value: unknown, field: string, problem: Report): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    problem(field, 'must be an array of email objects');
    return undefined;
  }
  return value.map((item: unknown, i) => mailbox(item, `${field}.${i}`, problem) ?? {});
}

/** The top-level object overlaid with the personalization's own (its values win, names case-insensitive for headers). */
function merged(top: unknown, own: unknown, topField: string, ownField: string, problem: Report): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [value, field] of [
    [top, topField],
    [own, ownField],
  ] as const) {
    if (value === undefined || value === null) continue;
    if (!isObject(value)) {
      problem(field, 'must be an object of name to string value');
      continue;
    }
    for (const [name, v] of Object.entries(value)) {
      const same = Object.keys(result).find((k) => topField === 'headers' && k.toLowerCase() === name.toLowerCase());
      if (same !== undefined) delete result[same];
      result[name] = v;
    }
  }
  return result;
}

/** The relay's field path as the SendGrid body's: "to[1].address" as "personalizations.0.to.1.email". */
function sendGridField(field: string, n: number, p: Record<string, unknown>): string {
  const at = `personalizations.${n}`;
  const own = (key: string, name: string) => (isObject(p[key]) && name in p[key] ? `${at}.${key}` : key);
  let m: RegExpMatchArray | null;
  if ((m = field.match(/^(to|cc|bcc)(?:\[(\d+)\])?(?:\.\w+)?$/))) return m[2] !== undefined ? `${at}.${m[1]}.${m[2]}.email` : `${at}.${m[1]}`;
  if (field === 'from' || field.startsWith('from.')) return p.from !== undefined ? `${at}.from.email` : 'from.email';
  if ((m = field.match(/^replyTo(?:\[(\d+)\])?/))) return m[1] !== undefined ? `reply_to_list.${m[1]}.email` : 'reply_to';
  if (field === 'subject') return p.subject !== undefined ? `${at}.subject` : 'subject';
  if (field === 'text' || field === 'html') return 'content';
  if ((m = field.match(/^attachments\[(\d+)\](?:\.(\w+))?$/))) {
    const renamed: Record<string, string> = { contentType: 'type', contentId: 'content_id' };
    return `attachments.${m[1]}${m[2] ? `.${renamed[m[2]] ?? m[2]}` : ''}`;
  }
  if ((m = field.match(/^headers\.(.*)$/))) return `${own('headers', m[1] ?? '')}.${m[1]}`;
  if (field === 'headers') return 'headers';
  if (field === `tags.${CATEGORIES_TAG}`) return 'categories';
  if ((m = field.match(/^tags\.(.*)$/))) return `${own('custom_args', m[1] ?? '')}.${m[1]}`;
  if (field === 'tags') return 'custom_args';
  return field;
}
