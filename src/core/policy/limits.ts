// Which shared limits a recipient's send counts against: its domain's destination and the smart host
// it goes through (`default` unless its route names another; warm-up plans add theirs in their own
// step). Looked up once per domain, smart host and policy and kept, so a domain without a rule costs
// one map lookup per attempt and nothing else.
import { DEFAULT_SMART_HOST, type DeliveryPolicy, type Destination, destinationFor, type SmartHostLimits, type SuspendableKind } from './types';

export interface Shaping {
  destination?: Destination;
  smartHost?: SmartHostLimits;
}

/** Nothing limits the recipient: no destination of the policy names its domain, and the smart host has no limits. */
const UNSHAPED: Shaping = Object.freeze({});
/** Distinct domains kept per policy before the memo starts afresh (a bound, not a cache policy). */
const MAX_DOMAINS = 10_000;

const memo = new WeakMap<DeliveryPolicy, Map<string, Shaping>>();

/** The limits of mail to `domain` through `smartHost`; `undefined` when none applies. */
export function shapingFor(policy: DeliveryPolicy, domain: string, smartHost: string = DEFAULT_SMART_HOST): Shaping | undefined {
  let byDomain = memo.get(policy);
  if (!byDomain || byDomain.size >= MAX_DOMAINS) {
    byDomain = new Map();
    memo.set(policy, byDomain);
  }
  // a space is in no domain and no smart host name
  const key = smartHost === DEFAULT_SMART_HOST ? domain : `${smartHost} ${domain}`;
  let found = byDomain.get(key);
  if (!found) {
    found = lookUp(policy, domain, smartHost);
    byDomain.set(key, found);
  }
  return found === UNSHAPED ? undefined : found;
}

function lookUp(policy: DeliveryPolicy, domain: string, name: string): Shaping {
  const destination = destinationFor(policy, domain);
  const smartHost = policy.smartHosts.get(name);
  const shaped: Shaping = {};
  if (destination && (destination.rate.length > 0 || destination.concurrency !== undefined)) shaped.destination = destination;
  if (smartHost && (smartHost.rate.length > 0 || smartHost.concurrency !== undefined)) shaped.smartHost = smartHost;
  return shaped.destination || shaped.smartHost ? shaped : UNSHAPED;
}

/** The shaping table's key of a destination's or smart host's limits (also what `heldBy` names). */
export function limitKey(kind: SuspendableKind, name: string): string {
  return `${kind}:${name}`;
}
