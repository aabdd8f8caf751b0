// The ACS Email drop-in's rules, pure: which api-versions it speaks, how an ACS EmailMessage becomes
// the relay's own send request (src/core/sendRequest.ts validates that, as for POST /api/v1/messages),
// how the relay's field names are said back in ACS's, and what a message's rows say as an operation.
import type { FieldError } from '../errors';
import type { RecipientStatus } from './delivery';
import type { Validated } from './sendRequest';

export const ACS_API_VERSIONS: readonly string[] = ['2023-03-31', '2025-09-01'];
export const OPERATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MESSAGE_FIELDS = ['senderAddress', 'content', 'recipients', 'attachments', 'replyTo', 'headers', 'userEngagementTrackingDisabled'];
const CONTENT_FIELDS = ['subject', 'plainText', 'html'];
const RECIPIENT_LISTS = ['to', 'cc', 'bcc'];
const ADDRESS_FIELDS = ['address', 'displayName'];
const ATTACHMENT_FIELDS = ['name', 'contentType', 'contentInBase64', 'contentId'];

/** The relay's field path (first part) and what ACS calls it; the rest of the path is kept. */
const FIELD_NAMES: readonly [RegExp, string][] = [
  [/^from\b/, 'senderAddress'],
  [/^(to|cc|bcc)\[/, 'recipients.$1['],
  [/^(to|cc|bcc)$/, 'recipients'],
  [/^subject\b/, 'content.subject'],
  [/^text\b/, 'content.plainText'],
  [/^html\b/, 'content.html'],
  [/^(attachments\[\d+\])\.filename\b/, '$1.name'],
  [/^(attachments\[\d+\])\.content$/, '$1.contentInBase64'],
];

export function checkApiVersion(value: string | null): string | undefined {
  if (value !== null && ACS_API_VERSIONS.includes(value)) return undefined;
  const given = value === null ? 'no api-version was given' : `api-version "${value.slice(0, 40)}" is not supported`;
  return `${given}; this relay speaks ${ACS_API_VERSIONS.join(' and ')}`;
}

/** ACS's field name for a field the relay's validation named. */
export function acsFieldName(field: string): string {
  for (const [pattern, name] of FIELD_NAMES) if (pattern.test(field)) return field.replace(pattern, name);
  return field;
}

/**
 * An ACS EmailMessage as the relay's send request body. Only the shape is checked here (objects,
 * arrays, known fields): addresses, texts, headers and attachments are checked by validateSendRequest.
 */
export function toRelayRequest(body: unknown): Validated<Record<string, unknown>> {
  const errors: FieldError[] = [];
  const problem = (field: string, message: string) => errors.push({ field, message });
  const message = objectAt(body, '(body)', MESSAGE_FIELDS, problem, true);
  if (!message) return { ok: false, errors };
  const content = objectAt(message.content, 'content', CONTENT_FIELDS, problem, true);
  const recipients = objectAt(message.recipients, 'recipients', RECIPIENT_LISTS, problem, true);
  if (message.senderAddress === undefined) problem('senderAddress', 'is required');
  else if (typeof message.senderAddress !== 'string') problem('senderAddress', 'must be a string');
  if (content && content.plainText == null && content.html == null) problem('content', 'give plainText, html or both');
  const lists = Object.fromEntries(RECIPIENT_LISTS.map((list) => [list, mailboxes(recipients?.[list], `recipients.${list}`, problem)]));
  const replyTo = mailboxes(message.replyTo, 'replyTo', problem);
  const attachments = listAt(message.attachments, 'attachments', problem).map((item, i) => {
    const attachment = objectAt(item, `attachments[${i}]`, ATTACHMENT_FIELDS, problem, true);
    return (
      attachment && { filename: attachment.name, content: attachment.contentInBase64, contentType: attachment.contentType, contentId: attachment.contentId }
    );
  });
  const tracking = message.userEngagementTrackingDisabled;
  if (tracking != null && typeof tracking !== 'boolean') problem('userEngagementTrackingDisabled', 'must be true or false');
  if (errors.length > 0) return { ok: false, errors };
  // the relay tracks no engagement, so userEngagementTrackingDisabled has nothing to turn off
  return {
    ok: true,
    value: {
      from: { address: message.senderAddress },
      ...lists,
      replyTo,
      subject: content?.subject,
      ...(content?.plainText != null ? { text: content.plainText } : {}),
      ...(content?.html != null ? { html: content.html } : {}),
      ...(message.headers != null ? { headers: message.headers } : {}),
      attachments,
    },
  };
}

type Report = (field: string, message: string) => void;

function objectAt(value: unknown, field: string, known: readonly string[], problem: Report, required: boolean): Record<string, unknown> | undefined {
  if (value == null) {
    if (required) problem(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    problem(field, 'must be an object');
    return undefined;
  }
  const object = value as Record<string, unknown>;
  const prefix = field === '(body)' ? '' : `${field}.`;
  for (const key of Object.keys(object)) if (!known.includes(key)) problem(`${prefix}${key}`, `unknown field (accepted: ${known.join(', ')})`);
  return object;
}

function listAt(value: unknown, field: string, problem: Report): unknown[] {
  if (value == null) return [];
  if (!Array.isArray(value)) {
    problem(field, 'must be an array');
    return [];
  }
  return value;
}

function mailboxes(value: unknown, field: string, problem: Report): Record<string, unknown>[] {
  return listAt(value, field, problem).flatMap((item, i) => {
    const mailbox = objectAt(item, `${field}[${i}]`, ADDRESS_FIELDS, problem, true);
    if (!mailbox) return [];
    const { address, displayName } = mailbox;
    return [{ address, ...(displayName != null && displayName !== '' ? { name: displayName } : {}) }];
  });
}

export interface OperationRecipient {
  address: string;
  status: RecipientStatus;
  response?: string;
  nextAttemptAt?: Date;
}

export interface AcsErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: AcsErrorDetail[];
}

export interface EmailSendResult {
  id: string;
  status: 'Running' | 'Succeeded' | 'Failed';
  error?: AcsErrorDetail;
}

const NOT_DELIVERED: Partial<Record<RecipientStatus, string>> = { bounced: 'Bounced', failed: 'Failed', suppressed: 'Suppressed' };
const MAX_POLL_SECONDS = 60;

/**
 * Running while any recipient may still change; then Succeeded when at least one was sent (as ACS,
 * whose operation succeeds once the mail is out and reports each recipient's fate apart), or Failed
 * with each recipient's reason when none was.
 */
export function operationResult(id: string, recipients: readonly OperationRecipient[]): EmailSendResult {
  if (recipients.some((r) => !(r.status in NOT_DELIVERED) && r.status !== 'sent')) return { id, status: 'Running' };
  if (recipients.some((r) => r.status === 'sent')) return { id, status: 'Succeeded' };
  const counts = Object.entries(NOT_DELIVERED)
    .map(([status, name]) => [name, recipients.filter((r) => r.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name.toLowerCase()}`);
  return {
    id,
    status: 'Failed',
    error: {
      code: 'EmailDropped',
      message: `The email was delivered to no recipient: ${counts.join(', ')}.`,
      details: recipients.map((r) => ({ code: NOT_DELIVERED[r.status] ?? r.status, target: r.address, message: r.response ?? r.status })),
    },
  };
}

/** When to poll again: soon while a recipient is on its way, at the next attempt while all wait for one. */
export function pollAfterSeconds(recipients: readonly OperationRecipient[], now: Date): number {
  const waiting = recipients.filter((r) => !(r.status in NOT_DELIVERED) && r.status !== 'sent');
  if (waiting.length === 0 || waiting.some((r) => r.nextAttemptAt === undefined)) return 1;
  const next = Math.min(...waiting.map((r) => r.nextAttemptAt!.getTime()));
  return Math.min(MAX_POLL_SECONDS, Math.max(1, Math.ceil((next - now.getTime()) / 1000)));
}
