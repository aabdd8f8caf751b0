// Hold a recipient for its send slot under the shared rate limits of its destination and of the
// smart host it goes through (the first of its route; docs/adr/0009). One reservation counts the
// send in every limit at the same moment; a slot a few seconds off is waited for here, a later one
// holds the task in the queue until just before it, carrying the slot and the host it was reserved
// under, so the task sends when it comes back without reserving again, unless its route now starts
// with another host that has a rate: then it reserves again under the destination and that host
// together (the relay never sends above a smart host's or a destination's rate). A recipient no rule covers costs one
// map lookup (core/policy/limits), no storage call.
import { domainOf } from '../../core/address';
import { LATE_SLOT_MS, slowedWindows } from '../../core/policy/gcra';
import { limitKey, type Shaping, shapingFor } from '../../core/policy/limits';
import { DEFAULT_SMART_HOST, type RateWindow, type SuspendableKind } from '../../core/policy/types';
import type { ThrottleLimit } from '../ports';
import { CONTINUE, type DeliveryState, type DeliveryStep, known } from '../steps/step';
import { firstSmartHost } from './chooseRoute';
import { holdUntil } from './hold';

/** A slot at most this far ahead is waited for in the invocation: cheaper than a hold (3 storage calls). */
export const SEND_WAIT_MS = 5000;
/**
 * A held task becomes visible this long before its slot and waits the rest here: queue visibility
 * is whole seconds and a poll may come up to 2 s late (host.json maxPollingInterval), so it is in
 * the invocation before its slot, not after it, and sends on time.
 */
export const HOLD_LEAD_MS = 4000;

interface RateLimit extends ThrottleLimit {
  kind: SuspendableKind;
  name: string;
  text: string;
}

export const holdForRate: DeliveryStep = {
  name: 'hold for the send rate',
  async run(state) {
    const host = firstSmartHost(state);
    const shaping = shapingFor(state.deps.config.policy, domainOf(state.task.recipient), host);
    if (!shaping) return CONTINUE;
    const now = known(state.decidedAt, 'the time of the decision');
    const carried = state.task.slotAt === undefined ? undefined : Date.parse(state.task.slotAt);
    if (carried !== undefined && carried - now.getTime() >= -LATE_SLOT_MS) {
      const reservedUnder = state.task.slotHost ?? DEFAULT_SMART_HOST;
      if (reservedUnder === host || !shaping.smartHost || shaping.smartHost.rate.length === 0) {
        return sendAt(state, carried, reservedUnder, 'the slot it was held for');
      }
      // Its route now starts with another host (the first cools off or is suspended), whose rate never
      // counted it: a new slot under the destination and this host together. Sending later than the
      // carried slot could crowd the destination's next reservation, so that slot is given up
      // (one place wasted, never one send too many).
      const slot = (await state.deps.throttles.reserve(await rateLimits(state, shaping, now), now)).getTime();
      return sendAt(state, slot, host, `its slot under ${host}, now its route's first host,`);
    }
    const limits = await rateLimits(state, shaping, now);
    if (limits.length === 0) return CONTINUE;
    const slot = (await state.deps.throttles.reserve(limits, now)).getTime();
    return sendAt(state, slot, host, 'its slot');
  },
};

/** Sends at `slot`, reserved under `slotHost`'s rate: now, after a short wait, or after a hold that carries the slot. */
async function sendAt(state: DeliveryState, slot: number, slotHost: string, what: string) {
  const now = known(state.decidedAt, 'the time of the decision').getTime();
  const ahead = slot - now;
  if (ahead <= SEND_WAIT_MS) {
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
    state.slotAt = new Date(slot);
    state.slotHost = slotHost;
    return CONTINUE;
  }
  const shaping = shapingFor(state.deps.config.policy, domainOf(state.task.recipient), firstSmartHost(state));
  const limits = await rateLimits(state, known(shaping, 'the shaping'), new Date(now));
  const binding = slowest(limits);
  return holdUntil(state, {
    heldBy: `rate:${binding.key}`,
    until: new Date(Math.max(now, slot - HOLD_LEAD_MS)),
    slotAt: new Date(slot),
    slotHost,
    why: `${what} under ${limits.map((l) => `${l.key} ${l.text}`).join(' and ')} is at ${new Date(slot).toISOString()}`,
  });
}

/** The rate windows the send counts against, each slowed by a slow-down in force for it. */
export async function rateLimits(state: DeliveryState, shaping: Shaping, now: Date): Promise<RateLimit[]> {
  const limits: RateLimit[] = [];
  const add = async (kind: SuspendableKind, name: string, rate: readonly RateWindow[]) => {
    if (rate.length === 0) return;
    const slowed = await state.deps.suspensions.activeFor(kind, name, now);
    const windows = slowedWindows(rate, slowed?.rateFactor);
    limits.push({ key: limitKey(kind, name), windows, kind, name, text: windows.map((w) => w.text).join(', ') });
  };
  if (shaping.destination) await add('destination', shaping.destination.name, shaping.destination.rate);
  if (shaping.smartHost) await add('smartHost', shaping.smartHost.name, shaping.smartHost.rate);
  return limits;
}

/** The limit that spaces sends furthest apart: the one a held recipient is most likely waiting for. */
function slowest(limits: readonly RateLimit[]): RateLimit {
  const spacing = (l: RateLimit) => Math.max(...l.windows.map((w) => w.seconds / w.count));
  return limits.reduce((a, b) => (spacing(b) > spacing(a) ? b : a));
}
