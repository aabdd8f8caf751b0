// Warm-up: while the ramp of the recipient's sender domain (kind `sender`) or of the default smart
// host (kind `smartHost`) runs, each attempt counts against the day's caps per hour and per day,
// across every instance (Throttles.reserveInWindows: fixed UTC windows, not a spread rate). Over a
// cap, the recipient is held until the window it was counted in opens; the count travels with the
// task (`countedAt`), so neither that return nor a later hold of the same attempt counts it twice.
// After the ramp nothing is counted: no storage call. It runs before the rate reservations, so the
// recipients a window lets go at its start are still paced by the destination's and smart host's rates.
import { domainOf } from '../../core/address';
import { sameWindows, warmupKey, warmupWindows } from '../../core/policy/warmup';
import { DEFAULT_SMART_HOST, type DeliveryPolicy, type WarmupPlan } from '../../core/policy/types';
import type { ThrottleLimit } from '../ports';
import { CONTINUE, type DeliveryStep, known } from '../steps/step';
import { holdUntil } from './hold';

export const holdForWarmup: DeliveryStep = {
  name: 'hold for the warm-up caps',
  async run(state) {
    const row = known(state.found, 'the row').row;
    const now = known(state.decidedAt, 'the time of the decision');
    const limits = warmupLimits(state.deps.config.policy, domainOf(row.from), now);
    if (limits.length === 0) return CONTINUE;
    const counted = state.task.countedAt === undefined ? undefined : new Date(state.task.countedAt);
    // A task that comes back a little early (clocks a second apart) sends in the window it was counted in.
    if (counted && limits.every((l) => sameWindows(l.windows, counted, counted > now ? counted : now))) {
      state.warmupCountedAt = counted;
      return CONTINUE;
    }
    const reservation = await state.deps.throttles.reserveInWindows(limits, now);
    state.warmupCountedAt = reservation.at;
    if (reservation.at <= now) return CONTINUE;
    const heldBy = reservation.movedBy ?? limits.map((l) => l.key).join(', ');
    const caps = limits.find((l) => l.key === heldBy)?.windows.map((w) => w.text) ?? [];
    return holdUntil(state, { heldBy, until: reservation.at, why: `the warm-up caps of ${heldBy} (${caps.join(', ')}) are reached` });
  },
};

/** The caps in force for a sender domain's mail through the default smart host; none after the ramps. */
export function warmupLimits(policy: DeliveryPolicy, senderDomain: string, at: Date): ThrottleLimit[] {
  const plans = policy.warmup.filter(
    (plan: WarmupPlan) =>
      (plan.kind === 'sender' && plan.name.toLowerCase() === senderDomain) || (plan.kind === 'smartHost' && plan.name === DEFAULT_SMART_HOST),
  );
  return plans.map((plan) => ({ key: warmupKey(plan), windows: warmupWindows(plan, at) })).filter((l) => l.windows.length > 0);
}
