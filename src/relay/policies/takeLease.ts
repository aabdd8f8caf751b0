// Take a concurrency lease just before the send: at most `concurrency` attempts in flight for a
// destination (or the smart host, the first of the recipient's route) across every instance. A lease lasts the attempt bound (the
// longest one SMTP transaction may take at the configured timeouts), so a killed instance's lease
// blocks no one beyond it; releaseLease gives it back right after the send. When every place is
// taken the recipient is held briefly, keeping its send slot, or until the earliest lease ends
// when that one looks abandoned.
import { deliveryAttemptBoundMs } from '../../config';
import { domainOf } from '../../core/address';
import { limitKey, shapingFor } from '../../core/policy/limits';
import type { SuspendableKind } from '../../core/policy/types';
import type { ThrottleLease } from '../ports';
import { summarizeError } from '../../errors';
import { CONTINUE, type DeliveryState, type DeliveryStep } from '../steps/step';
import { firstSmartHost } from './chooseRoute';
import { holdUntil } from './hold';

/** A busy place is looked at again this soon: a send takes well under a second. */
export const BUSY_RECHECK_MS = 1500;
/** A lease taken longer ago than this is likely an instance that died mid-send: wait for its expiry instead. */
export const STALE_LEASE_MS = 15_000;

export const takeLease: DeliveryStep = {
  name: 'take a concurrency lease',
  async run(state) {
    const shaping = shapingFor(state.deps.config.policy, domainOf(state.task.recipient), firstSmartHost(state));
    if (!shaping) return CONTINUE;
    const wanted: { kind: SuspendableKind; name: string; concurrency: number }[] = [];
    if (shaping.destination?.concurrency !== undefined)
      wanted.push({ kind: 'destination', ...shaping.destination, concurrency: shaping.destination.concurrency });
    if (shaping.smartHost?.concurrency !== undefined) wanted.push({ kind: 'smartHost', ...shaping.smartHost, concurrency: shaping.smartHost.concurrency });
    if (wanted.length === 0) return CONTINUE;
    const boundMs = deliveryAttemptBoundMs(state.deps.config.smartHost);
    const owner = state.delivery.queueMessageId ?? `${state.task.messageId}/${state.task.recipient}`;
    state.leases = [];
    for (const { kind, name, concurrency } of wanted) {
      const now = state.deps.now();
      const key = limitKey(kind, name);
      const got = await state.deps.throttles.acquire(key, concurrency, owner, new Date(now.getTime() + boundMs), now);
      if ('place' in got) {
        state.leases.push(got);
        continue;
      }
      await giveBack(state);
      const abandoned = got.busyUntil.getTime() - now.getTime() < boundMs - STALE_LEASE_MS;
      const until = abandoned ? got.busyUntil : new Date(Math.min(got.busyUntil.getTime(), now.getTime() + BUSY_RECHECK_MS));
      return holdUntil(
        // after a claim the row is the held one: holding undoes the claim (see heldRow)
        { ...state, found: state.held ?? state.found },
        {
          heldBy: `concurrency:${key}`,
          until,
          slotAt: state.slotAt,
          slotHost: state.slotHost,
          why: `${concurrency} attempt(s) already in flight for ${key}${abandoned ? ' (one looks abandoned: waiting for its lease to expire)' : ''}`,
        },
      );
    }
    return CONTINUE;
  },
};

export const releaseLease: DeliveryStep = {
  name: 'release the concurrency lease',
  async run(state) {
    await giveBack(state);
    return CONTINUE;
  },
};

/** Gives back what this attempt holds; a failure is logged, the lease then ends at its expiry. */
export async function giveBack(state: DeliveryState): Promise<void> {
  const leases: ThrottleLease[] = state.leases ?? [];
  state.leases = [];
  for (const lease of leases) {
    try {
      await state.deps.throttles.release(lease);
    } catch (err) {
      state.log.warn(`${state.label}: the lease on ${lease.key} could not be given back; it ends at ${lease.until.toISOString()} (${summarizeError(err)})`);
    }
  }
}
