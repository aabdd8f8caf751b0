// Which smart hosts carry a recipient, in failover order: the first route of the policy whose every
// given condition holds, else `default` alone. Looked up once per (recipient domain, sender domain)
// and policy and kept, like core/policy/limits.ts, so a policy without routes costs one check of an
// empty list per attempt; only routes that match on tags are looked at per message.
import { DEFAULT_SMART_HOST, type DeliveryPolicy, destinationFor, type Route } from './policy/types';

export interface RouteQuery {
  /** lower case */
  recipientDomain: string;
  /** the recipient domain's destination name, if any */
  destination?: string;
  /** lower case, the From address's domain */
  senderDomain: string;
  tags: Readonly<Record<string, string>>;
}

/** A recipient's route: the smart hosts to try, first one first, and whether warm-up may overflow. */
export interface ChosenRoute {
  readonly smartHosts: readonly string[];
  readonly warmupOverflow: boolean;
  /** the route's index in the policy; absent for `default` alone (no route matched) */
  readonly index?: number;
}

/** No route matched (or the policy has none): `default` alone, as before routing existed. */
export const DEFAULT_ROUTE: ChosenRoute = Object.freeze({ smartHosts: Object.freeze([DEFAULT_SMART_HOST]), warmupOverflow: false });

/** Distinct keys kept per policy before the memo starts afresh (a bound, not a cache policy). */
const MAX_KEYS = 10_000;
const memo = new WeakMap<DeliveryPolicy, Map<string, ChosenRoute>>();
const tagRoutes = new WeakMap<DeliveryPolicy, boolean>();

export function routeFor(policy: DeliveryPolicy, query: RouteQuery): ChosenRoute {
  if (policy.routes.length === 0) return DEFAULT_ROUTE;
  // A route on tags depends on the message, not only on the domains: no memo then.
  let byTags = tagRoutes.get(policy);
  if (byTags === undefined) {
    byTags = policy.routes.some((r) => r.match.tags !== undefined && Object.keys(r.match.tags).length > 0);
    tagRoutes.set(policy, byTags);
  }
  if (byTags) return lookUp(policy, query);
  let byKey = memo.get(policy);
  if (!byKey || byKey.size >= MAX_KEYS) {
    byKey = new Map();
    memo.set(policy, byKey);
  }
  const key = `${query.recipientDomain} ${query.senderDomain}`;
  let found = byKey.get(key);
  if (!found) {
    found = lookUp(policy, query);
    byKey.set(key, found);
  }
  return found;
}

function lookUp(policy: DeliveryPolicy, query: RouteQuery): ChosenRoute {
  const destination = query.destination ?? destinationFor(policy, query.recipientDomain)?.name;
  const index = policy.routes.findIndex((route) => matches(route, { ...query, destination }));
  const route = policy.routes[index];
  if (!route) return DEFAULT_ROUTE;
  return { smartHosts: route.smartHosts, warmupOverflow: route.warmupOverflow === true, index };
}

/** Every condition given holds; a route with none matches every recipient. */
export function matches(route: Route, query: RouteQuery): boolean {
  const { recipientDomains, destinations, senderDomains, tags } = route.match;
  if (recipientDomains && !recipientDomains.some((d) => covers(d, query.recipientDomain))) return false;
  if (destinations && (query.destination === undefined || !destinations.includes(query.destination))) return false;
  if (senderDomains && !senderDomains.some((d) => covers(d, query.senderDomain))) return false;
  if (tags && !Object.entries(tags).every(([k, v]) => Object.hasOwn(query.tags, k) && query.tags[k] === v)) return false;
  return true;
}

/** A parent domain covers its subdomains, as a destination's domains do. */
function covers(listed: string, domain: string): boolean {
  const lower = domain.toLowerCase();
  return lower === listed || lower.endsWith(`.${listed}`);
}
