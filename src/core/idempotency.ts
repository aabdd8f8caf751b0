// Idempotency-Key rules, pure. The same key with the same body within 24 hours answers as the first
// request did; another body gets 409; a reservation left behind by a crashed accept is taken over.

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How long an accept may take before its reservation counts as abandoned. */
export const RESERVATION_TIMEOUT_MS = 60 * 1000;
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export function checkIdempotencyKey(key: string): string | undefined {
  return KEY_PATTERN.test(key) ? undefined : 'must be 1 to 255 printable ASCII characters';
}

export interface Reservation {
  bodyHash: string;
  messageId: string;
  createdAt: Date;
  /** the 202 body given to the first request, as JSON */
  answer: string;
}

export type IdempotencyDecision = 'replay' | 'body-conflict' | 'in-progress' | 'take-over';

export function decideOnExistingKey(existing: Reservation, bodyHash: string, messageExists: boolean, now: Date): IdempotencyDecision {
  const age = now.getTime() - existing.createdAt.getTime();
  if (age > IDEMPOTENCY_WINDOW_MS) return 'take-over';
  if (existing.bodyHash !== bodyHash) return 'body-conflict';
  if (messageExists) return 'replay';
  return age > RESERVATION_TIMEOUT_MS ? 'take-over' : 'in-progress';
}

/** JSON with object keys sorted, so that key order does not make two equal bodies differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
