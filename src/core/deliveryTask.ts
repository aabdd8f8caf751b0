// The delivery task: the queue message that makes one attempt for one recipient. It is a wire
// contract, read by relays of other versions: a task queued before an upgrade is delivered after it.
// v1 carried ids only; v2 adds the attempt number and, for a small message, the body itself, which
// saves a blob write at accept and a blob read per attempt. New fields must stay optional.

/**
 * A queue message may hold 64 KiB; a task stays well below it so that the storage service's XML
 * escaping of the text can never push it over.
 */
export const MAX_TASK_CHARS = 48 * 1024;

export interface DeliveryTask {
  /** 1: ids only (tasks queued before bodies travelled inline); 2: adds attempt and the body */
  v: 1 | 2;
  messageId: string;
  recipient: string;
  /** which attempt this task makes (1 for the first); absent in v1 tasks */
  attempt?: number;
  /** the composed message, when it is 7-bit text and small enough to travel in the task */
  body?: string;
  /** the composed message as base64, when it is small enough but not 7-bit text */
  bodyBase64?: string;
  /**
   * ISO time of the send slot the delivery policy reserved for this attempt: a task held for its
   * turn comes back at it and sends without reserving again (see src/relay/policies)
   */
  slotAt?: string;
  /**
   * the smart host whose rate `slotAt` was reserved under, when it is not `default`: a task whose
   * route starts with another host when it comes back reserves under that host's rate too.
   * Absent, `default`: the only host before routing, and the one a recipient no route matches uses.
   */
  slotHost?: string;
  /**
   * ISO time this attempt was counted against the warm-up caps: a held task that comes back within
   * the same caps' windows is not counted again (see src/relay/policies/holdForWarmup.ts)
   */
  countedAt?: string;
  /** the smart host whose warm-up plan `countedAt` counted under, when it is not `default` (as slotHost) */
  countedHost?: string;
  /**
   * ISO time the accept looked the recipient up on the suppression list (and found nothing that
   * applies): while the list has not changed since, the delivery need not look it up again
   * (src/relay/policies/checkSuppression.ts). Absent (a task from an older version): it looks.
   */
  suppressionsReadAt?: string;
}

/** The body as a task carries it. */
export type InlineBody = Pick<DeliveryTask, 'body' | 'bodyBase64'>;

/** Room left in a task for everything but the body: ids, the attempt and the JSON around them. */
const TASK_ENVELOPE_CHARS = 1024;

/**
 * The composed message as it travels in a task, encoded once for all of its recipients and attempts;
 * undefined when a task holding it would not stay under MAX_TASK_CHARS (it then lives in a blob).
 */
export function encodeInlineBody(raw: Buffer): InlineBody | undefined {
  if (raw.length > MAX_TASK_CHARS) return undefined;
  const inline: InlineBody = isSevenBitText(raw) ? { body: raw.toString('latin1') } : { bodyBase64: raw.toString('base64') };
  return JSON.stringify(inline).length <= MAX_TASK_CHARS - TASK_ENVELOPE_CHARS ? inline : undefined;
}

/** The task for one attempt; without `inline` the body is read from its blob. */
export function newDeliveryTask(messageId: string, recipient: string, attempt: number, inline?: InlineBody): DeliveryTask {
  return { v: 2, messageId, recipient, attempt, ...inline };
}

/**
 * The name its body is stored under in the messages container: the message id for the UTF-8 message
 * (as every version wrote it), `<message id>.<charset>` for a destination's charset variant.
 */
export function bodyName(messageId: string, charset?: string): string {
  return charset === undefined ? messageId : `${messageId}.${charset}`;
}

/** The body a task carries, or undefined when it lives in the messages container. */
export function inlineBody(task: DeliveryTask): Buffer | undefined {
  if (task.body !== undefined) return Buffer.from(task.body, 'latin1');
  if (task.bodyBase64 !== undefined) return Buffer.from(task.bodyBase64, 'base64');
  return undefined;
}

/** Reads a task from the trigger's input, which the host hands over parsed when it is JSON. */
export function parseDeliveryTask(input: unknown): DeliveryTask | undefined {
  const value = typeof input === 'string' ? safeJson(input) : input;
  if (value === null || typeof value !== 'object') return undefined;
  const { v, messageId, recipient, attempt, body, bodyBase64, slotAt, slotHost, countedAt, countedHost, suppressionsReadAt } = value as Record<string, unknown>;
  if (typeof messageId !== 'string' || typeof recipient !== 'string' || !messageId || !recipient) return undefined;
  if (v === 1) return { v, messageId, recipient };
  if (v !== 2 || !Number.isInteger(attempt) || (attempt as number) < 1) return undefined;
  if (body !== undefined && typeof body !== 'string') return undefined;
  if (bodyBase64 !== undefined && typeof bodyBase64 !== 'string') return undefined;
  const task: DeliveryTask = { v, messageId, recipient, attempt: attempt as number };
  if (body !== undefined) task.body = body;
  if (bodyBase64 !== undefined) task.bodyBase64 = bodyBase64;
  // a slot that does not parse is as if none was reserved: the policy reserves one again
  if (typeof slotAt === 'string' && !Number.isNaN(Date.parse(slotAt))) {
    task.slotAt = slotAt;
    // a host name that is no string is as if absent: `default`
    if (typeof slotHost === 'string' && slotHost) task.slotHost = slotHost;
  }
  // likewise a count that does not parse: the attempt is counted again (never under-counted)
  if (typeof countedAt === 'string' && !Number.isNaN(Date.parse(countedAt))) {
    task.countedAt = countedAt;
    if (typeof countedHost === 'string' && countedHost) task.countedHost = countedHost;
  }
  // and a lookup time that does not parse: the delivery looks the address up again
  if (typeof suppressionsReadAt === 'string' && !Number.isNaN(Date.parse(suppressionsReadAt))) task.suppressionsReadAt = suppressionsReadAt;
  return task;
}

function isSevenBitText(raw: Buffer): boolean {
  for (const byte of raw) if (byte > 0x7e || (byte < 0x20 && byte !== 0x0d && byte !== 0x0a && byte !== 0x09)) return false;
  return true;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
