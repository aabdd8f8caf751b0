// The suspension endpoints: list what is suspended or slowed now, suspend (or slow) a destination of
// the delivery policy or the default smart host, and lift a suspension. An expired suspension holds
// nothing, so these answer as if it were gone; a lift takes effect on every instance within the
// suspensions' cache interval, and a held recipient goes on at its next look.
import { parseJsonBody } from '../core/jsonBody';
import type { SuspendableKind } from '../core/policy/types';
import { SUSPENDABLE_KINDS } from '../core/reactions';
import type { Validated } from '../core/sendRequest';
import { checkSuspendedName, suspendableKind, validateSuspension } from '../core/suspensionRequest';
import { validateNoQuery } from '../core/suppressionRequest';
import { NotFoundError, orStorageUnavailable, PayloadTooLargeError, UnprocessableError, ValidationError } from '../errors';
import { checkContentType } from './acceptMessage';
import type { RelayDeps, RelayLog } from './deps';
import type { Suspension } from './ports';

/** One suspension as the endpoints answer it. */
export interface SuspensionView {
  kind: SuspendableKind;
  name: string;
  reason: string;
  source: 'reaction' | 'manual';
  /** the reaction rule that put it; null for an operator's */
  rule: string | null;
  /** a slow-down's factor on the rate; null when nothing is sent until `until` */
  rateFactor: number | null;
  createdAt: string;
  until: string;
}

export type Query = readonly (readonly [string, string])[];

export interface SuspensionBody {
  contentType: string | null;
  body: Buffer;
}

/** A suspension is a reason and two short fields; anything much larger is not one. */
export const MAX_SUSPENSION_BODY_BYTES = 16 * 1024;

export async function listSuspensions(deps: RelayDeps, query: Query): Promise<{ items: SuspensionView[] }> {
  valid(validateNoQuery(query));
  const items = await storage('reading the suspensions', () => deps.suspensions.list(deps.now()));
  return { items: items.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)).map(toView) };
}

export async function putSuspension(
  deps: RelayDeps,
  path: { kind: string; name: string },
  query: Query,
  input: SuspensionBody,
  log: RelayLog,
): Promise<{ created: boolean; suspension: SuspensionView }> {
  const { kind, name } = target(path);
  valid(validateNoQuery(query));
  checkContentType(input.contentType);
  if (input.body.length > MAX_SUSPENSION_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is ${input.body.length} bytes; a suspension is at most ${MAX_SUSPENSION_BODY_BYTES}`);
  }
  const now = deps.now();
  const fields = valid(validateSuspension(valid(parseJsonBody(input.body)), now));
  if (!suspendable(deps, kind, name)) {
    const known = (kind === 'destination' ? deps.config.policy.destinations.map((d) => d.name) : [...deps.smartHosts.keys()]).map((n) => `"${n}"`);
    const where =
      kind === 'destination' ? `the delivery policy's destinations are ${known.join(', ') || '(none)'}` : `the relay sends through ${known.join(', ')}`;
    throw new UnprocessableError(`name: no ${kind} is named "${name}"; ${where}`, [{ field: 'name', message: `no ${kind} is named "${name}"` }]);
  }
  const suspension: Suspension = { kind, name, reason: fields.reason, source: 'manual', createdAt: now, until: fields.until };
  if (fields.rateFactor !== undefined) suspension.rateFactor = fields.rateFactor;
  const outcome = await storage('writing the suspension', () => deps.suspensions.put(suspension));
  const what = suspension.rateFactor === undefined ? 'suspended' : `slowed to ${suspension.rateFactor} of its rate`;
  log.warn(`${kind} ${name} ${what} until ${suspension.until.toISOString()} by an operator (${outcome})`);
  return { created: outcome === 'created', suspension: toView(suspension) };
}

/** Lifts the suspension of (kind, name); NotFoundError when none is in force. */
export async function liftSuspension(deps: RelayDeps, path: { kind: string; name: string }, query: Query, log: RelayLog): Promise<void> {
  const { kind, name } = target(path);
  valid(validateNoQuery(query));
  // any name, not only the policy's: a suspension may outlive the destination it was put on
  const lifted = await storage('lifting the suspension', () => deps.suspensions.lift(kind, name));
  if (!lifted) throw new NotFoundError(`${kind} "${name}" is not suspended`);
  log.log(`${kind} ${name}: suspension lifted by an operator`);
}

function target(path: { kind: string; name: string }): { kind: SuspendableKind; name: string } {
  const kind = suspendableKind(path.kind);
  if (kind === undefined) {
    throw new NotFoundError(`"${path.kind.slice(0, 40)}" is not a kind of suspension: ${SUSPENDABLE_KINDS.join(' or ')}`, [
      { field: 'kind', message: `must be ${SUSPENDABLE_KINDS.join(' or ')}` },
    ]);
  }
  return { kind, name: valid(checkSuspendedName(path.name)) };
}

/** A destination of the delivery policy, or one of the smart hosts the relay sends through. */
function suspendable(deps: RelayDeps, kind: SuspendableKind, name: string): boolean {
  if (kind === 'smartHost') return deps.smartHosts.has(name);
  return deps.config.policy.destinations.some((d) => d.name === name);
}

export function toView(s: Suspension): SuspensionView {
  return {
    kind: s.kind,
    name: s.name,
    reason: s.reason,
    source: s.source,
    rule: s.rule ?? null,
    rateFactor: s.rateFactor ?? null,
    createdAt: s.createdAt.toISOString(),
    until: s.until.toISOString(),
  };
}

function valid<T>(validated: Validated<T>): T {
  if (!validated.ok) throw new ValidationError(validated.errors);
  return validated.value;
}

function storage<T>(what: string, action: () => Promise<T>): Promise<T> {
  return orStorageUnavailable(action, `Storage failed while ${what}. Retry later: the same request can be repeated safely.`);
}
