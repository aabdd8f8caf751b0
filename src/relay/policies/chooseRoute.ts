// Choose the route: which smart hosts this recipient goes through, in failover order (the policy's
// `routes`, core/routing). A host cooling off (deps.smartHostHealth: it kept failing) or suspended
// (a reaction rule or an operator) is left out; when that leaves none, the recipient is held until
// the earliest of them ends. A recipient no route matches goes through `default` alone, as before
// routing: this step then costs one check of the route list, and the steps after it see no route.
// The cool-offs and suspensions are read from the adapters' short-lived caches: no storage call.
import { domainOf } from '../../core/address';
import { DEFAULT_SMART_HOST } from '../../core/policy/types';
import { suspensionHold } from '../../core/reactions';
import { routeFor } from '../../core/routing';
import { CONTINUE, type DeliveryState, type DeliveryStep, known } from '../steps/step';
import { holdUntil } from './hold';

/** What `heldBy` says while every host of the route cools off. */
export function coolOffHold(name: string): string {
  return `coolOff:smartHost:${name}`;
}

/** The smart host the per-host limits, plans and suspensions of this attempt are those of. */
export function firstSmartHost(state: DeliveryState): string {
  return state.route?.[0] ?? DEFAULT_SMART_HOST;
}

interface Unusable {
  name: string;
  until: Date;
  heldBy: string;
  why: string;
  /** a suspension may be lifted before its end: look again (see holdSuspended) */
  recheck: boolean;
}

export const chooseRoute: DeliveryStep = {
  name: 'choose the route',
  async run(state) {
    const policy = state.deps.config.policy;
    if (policy.routes.length === 0) return CONTINUE;
    const row = known(state.found, 'the row').row;
    const chosen = routeFor(policy, { recipientDomain: domainOf(state.task.recipient), senderDomain: domainOf(row.from), tags: row.tags });
    if (chosen.index === undefined) return CONTINUE;
    const now = known(state.decidedAt, 'the time of the decision');
    const usable: string[] = [];
    const unusable: Unusable[] = [];
    for (const name of chosen.smartHosts) {
      const found = await whyUnusable(state, name, now);
      if (found) unusable.push(found);
      else usable.push(name);
    }
    if (usable.length > 0) {
      state.route = usable;
      state.warmupOverflow = chosen.warmupOverflow;
      if (unusable.length > 0) state.log.log(`${state.label}: skipping ${unusable.map((u) => `${u.name} (${u.why})`).join(', ')}`);
      return CONTINUE;
    }
    const first = unusable.reduce((a, b) => (b.until < a.until ? b : a));
    const recheckAt = now.getTime() + state.deps.config.holdRecheckSeconds * 1000;
    return holdUntil(state, {
      heldBy: first.heldBy,
      until: first.recheck ? new Date(Math.min(first.until.getTime(), recheckAt)) : first.until,
      why: `every smart host of its route is out: ${unusable.map((u) => `${u.name} ${u.why}`).join('; ')}`,
      recheck: first.recheck,
    });
  },
};

async function whyUnusable(state: DeliveryState, name: string, now: Date): Promise<Unusable | undefined> {
  const { smartHostHealth, suspensions } = state.deps;
  const [suspended, cooling] = await Promise.all([suspensions.activeFor('smartHost', name, now), smartHostHealth.coolingUntil(name, now)]);
  // a slow-down sends, slower: holdForRate reads it
  if (suspended && suspended.rateFactor === undefined) {
    return {
      name,
      until: suspended.until,
      heldBy: suspensionHold('smartHost', name),
      why: `is suspended until ${suspended.until.toISOString()} (${suspended.reason})`,
      recheck: true,
    };
  }
  if (cooling) return { name, until: cooling, heldBy: coolOffHold(name), why: `cools off until ${cooling.toISOString()}`, recheck: false };
  return undefined;
}
