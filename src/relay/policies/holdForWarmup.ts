// Warm-up: while the ramp of the recipient's sender domain (kind `sender`) or of the smart host it
// goes through (kind `smartHost`, the first of its route) runs, each attempt counts against the day's
// caps per hour and per day, across every instance (Throttles.reserveInWindows: fixed UTC windows,
// not a spread rate). Over a cap, the recipient is held until the window it was counted in opens; the
// count travels with the task (`countedAt`, and `countedHost` the host whose plan it was under), so
// neither that return nor a later hold of the same attempt counts it twice; back through another
// warming host, it is counted under that host's plan too. After the ramp nothing is counted: no
// storage call. It runs before the rate reservations, so the recipients a window lets go at its
// start are still paced by the destination's and smart host's rates.
//
// Warm-up overflow (a route's `warmupOverflow`): when the first host's caps are full, the recipient
// goes on through the rest of its route, counted against the next host's plan if it has one, instead
// of waiting. The reservation that found the caps full counted in a later window; this instance
// remembers that window's start and overflows without counting until then, so a full host loses at
// most one place of a later window per instance, not one per overflowing recipient.
import { domainOf } from '../../core/address';
import { sameWindows, warmupKey, warmupWindows } from '../../core/policy/warmup';
import { DEFAULT_SMART_HOST, type DeliveryPolicy, type WarmupPlan } from '../../core/policy/types';
import type { ThrottleLimit, Throttles } from '../ports';
import { CONTINUE, type DeliveryState, type DeliveryStep, known } from '../steps/step';
import { firstSmartHost } from './chooseRoute';
import { holdUntil } from './hold';

/** Per instance (the throttles adapter's): the warm-up keys known full, until the window they counted in. */
const fullUntil = new WeakMap<Throttles, Map<string, Date>>();

export const holdForWarmup: DeliveryStep = {
  name: 'hold for the warm-up caps',
  async run(state) {
    const row = known(state.found, 'the row').row;
    const now = known(state.decidedAt, 'the time of the decision');
    let overflowed = false;
    for (;;) {
      const host = firstSmartHost(state);
      const limits = warmupLimits(state.deps.config.policy, domainOf(row.from), now, host);
      if (limits.length === 0) return CONTINUE;
      const hostKey = warmupKey({ kind: 'smartHost', name: host });
      const full = fullUntil.get(state.deps.throttles)?.get(hostKey);
      if (canOverflow(state) && full && full > now && limits.some((l) => l.key === hostKey)) {
        overflow(state, host, `its warm-up caps are full until ${full.toISOString()}`);
        overflowed = true;
        continue;
      }
      const counted = state.task.countedAt === undefined ? undefined : new Date(state.task.countedAt);
      // A task that comes back a little early (clocks a second apart) sends in the window it was counted in.
      if (counted && limits.every((l) => sameWindows(l.windows, counted, counted > now ? counted : now))) {
        const countedUnder = state.task.countedHost ?? DEFAULT_SMART_HOST;
        const hostLimit = countedUnder === host ? undefined : limits.find((l) => l.key === hostKey);
        if (!hostLimit) {
          state.warmupCountedAt = counted;
          state.warmupCountedHost = countedUnder;
          return CONTINUE;
        }
        // Its route now starts with another warming host (the first cools off or is suspended), whose
        // plan never counted it: the sender's count stands, this host's is added.
        const added = await state.deps.throttles.reserveInWindows([hostLimit], now);
        if (added.at <= now) {
          state.warmupCountedAt = counted;
          state.warmupCountedHost = host;
          return CONTINUE;
        }
        // Held, it is counted again under every plan when it comes back: one count cannot say two windows.
        state.warmupCountedAt = undefined;
        return holdUntil(state, { heldBy: hostKey, until: added.at, why: `the warm-up caps of ${hostKey} (${capsText(hostLimit)}) are reached` });
      }
      const reservation = await state.deps.throttles.reserveInWindows(limits, now);
      state.warmupCountedAt = reservation.at;
      state.warmupCountedHost = host;
      if (reservation.at <= now) return CONTINUE;
      const heldBy = reservation.movedBy ?? limits.map((l) => l.key).join(', ');
      if (canOverflow(state) && heldBy === hostKey) {
        remember(state.deps.throttles, hostKey, reservation.at);
        state.warmupCountedAt = undefined;
        overflow(state, host, 'its warm-up caps are full');
        overflowed = true;
        continue;
      }
      // Held after an overflow, it was counted for another host than the first of its route, which
      // it may go through when it comes back: it is counted again then rather than not at all.
      if (overflowed) state.warmupCountedAt = undefined;
      const caps = limits.find((l) => l.key === heldBy);
      return holdUntil(state, { heldBy, until: reservation.at, why: `the warm-up caps of ${heldBy} (${caps ? capsText(caps) : ''}) are reached` });
    }
  },
};

function capsText(limit: ThrottleLimit): string {
  return limit.windows.map((w) => w.text).join(', ');
}

function canOverflow(state: DeliveryState): boolean {
  return state.warmupOverflow === true && state.route !== undefined && state.route.length > 1;
}

function overflow(state: DeliveryState, host: string, why: string): void {
  state.route = known(state.route, 'the route').slice(1);
  state.log.log(`${state.label}: warm-up overflow: not through ${host} (${why}), through ${state.route.join(', ')}`);
}

function remember(throttles: Throttles, key: string, until: Date): void {
  let keys = fullUntil.get(throttles);
  if (!keys) {
    keys = new Map<string, Date>();
    fullUntil.set(throttles, keys);
  }
  keys.set(key, until);
}

/** The caps in force for a sender domain's mail through `smartHost`; none after the ramps. */
export function warmupLimits(policy: DeliveryPolicy, senderDomain: string, at: Date, smartHost: string): ThrottleLimit[] {
  const plans = policy.warmup.filter(
    (plan: WarmupPlan) => (plan.kind === 'sender' && plan.name.toLowerCase() === senderDomain) || (plan.kind === 'smartHost' && plan.name === smartHost),
  );
  return plans.map((plan) => ({ key: warmupKey(plan), windows: warmupWindows(plan, at) })).filter((l) => l.windows.length > 0);
}

/** The caps of `smartHost`'s own ramp alone (a failover host's), if it is warming up. */
export function smartHostWarmupLimit(policy: DeliveryPolicy, smartHost: string, at: Date): ThrottleLimit | undefined {
  const plan = policy.warmup.find((p) => p.kind === 'smartHost' && p.name === smartHost);
  const windows = plan ? warmupWindows(plan, at) : [];
  return plan && windows.length > 0 ? { key: warmupKey(plan), windows } : undefined;
}
