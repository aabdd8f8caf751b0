// The poison endpoints' input, checked strictly: a list query (limit, token) and a requeue body
// that names its tasks by id (at most MAX_REQUEUE_IDS) or asks for all of them.
import { createHash } from 'node:crypto';
import type { FieldError } from '../errors';
import type { Validated } from './sendRequest';

export const POISON_LIST_LIMIT = { min: 1, max: 1000, default: 100 } as const;
export const MAX_REQUEUE_IDS = 100;
/** `{"all": true}` puts back at most this many per request; the answer says when more are left. */
export const MAX_REQUEUE_ALL = 1000;
export const POISON_ID_PATTERN = /^[0-9a-f]{32}$/;

/** One record per (message, recipient): the same task recorded twice is one record. */
export function poisonId(messageId: string, recipient: string): string {
  return createHash('sha256').update(`${messageId}\n${recipient}`).digest('hex').slice(0, 32);
}

export interface PoisonListInput {
  limit: number;
  after?: string;
}

export type RequeueInput = { ids: string[] } | { all: true };

export function validatePoisonListQuery(query: readonly (readonly [string, string])[]): Validated<PoisonListInput> {
  const errors: FieldError[] = [];
  const input: PoisonListInput = { limit: POISON_LIST_LIMIT.default };
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (name === 'code') continue;
    const field = name.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 100) || '(empty name)';
    if (seen.has(name)) errors.push({ field, message: 'is given more than once' });
    else if (name === 'limit') {
      const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
      if (n >= POISON_LIST_LIMIT.min && n <= POISON_LIST_LIMIT.max) input.limit = n;
      else errors.push({ field, message: `must be a whole number from ${POISON_LIST_LIMIT.min} to ${POISON_LIST_LIMIT.max}` });
    } else if (name === 'continuationToken') {
      if (POISON_ID_PATTERN.test(value)) input.after = value;
      else errors.push({ field, message: 'is not a token this list handed out' });
    } else errors.push({ field, message: 'is not a known query parameter (limit, continuationToken)' });
    seen.add(name);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: input };
}

export function validateRequeueBody(body: unknown): Validated<RequeueInput> {
  const refuse = (field: string, message: string): Validated<RequeueInput> => ({ ok: false, errors: [{ field, message }] });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return refuse('(body)', 'must be a JSON object: {"ids": [...]} or {"all": true}');
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).find((k) => k !== 'ids' && k !== 'all');
  if (unknown !== undefined) return refuse(unknown.slice(0, 100), 'is not a known field (ids, all)');
  if ('ids' in fields === 'all' in fields) return refuse('(body)', 'must name the tasks: {"ids": [...]} or {"all": true}, one of the two');
  if ('all' in fields) return fields.all === true ? { ok: true, value: { all: true } } : refuse('all', 'must be true');
  const { ids } = fields;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REQUEUE_IDS) return refuse('ids', `must be a list of 1 to ${MAX_REQUEUE_IDS} ids`);
  const bad = ids.findIndex((id) => typeof id !== 'string' || !POISON_ID_PATTERN.test(id));
  if (bad >= 0) return refuse(`ids[${bad}]`, 'is not a poison task id (32 hex digits, as GET /api/v1/poison lists them)');
  return { ok: true, value: { ids: [...new Set(ids as string[])] } };
}
