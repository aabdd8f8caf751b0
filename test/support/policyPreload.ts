// Test-only bridge until the policy branch lands: preloaded into a local host process
// (NODE_OPTIONS=--require), it reads RELAY_POLICY_JSON into config.policy while src/policyFile.ts is
// still the stub that returns the built-in policy. It understands only what the shared-limits tests
// write: `destinations.<name>` with `domains`, `rate` ("N/s", "N/min", "N/h", "N/day" or a list) and
// `concurrency`. Once the real loader reads RELAY_POLICY_JSON this steps aside (the policy it
// returns is no longer the built-in one), and the tests can drop the preload.
import * as policyFile from '../../src/policyFile';
import type { DeliveryPolicy, Destination, RateWindow } from '../../src/core/policy/types';
import { EMPTY_POLICY } from '../../src/core/policy/types';

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, min: 60, h: 3600, hour: 3600, day: 86400 };

const original = policyFile.readDeliveryPolicy;

// config.ts calls it through the module's exports object at each call, so replacing it there takes
Object.assign(policyFile, {
  readDeliveryPolicy: (source: policyFile.PolicySource, problems: string[]): DeliveryPolicy => {
    const policy = original(source, problems);
    if (policy.source !== EMPTY_POLICY.source || !source.json) return policy;
    return parsePolicy(source.json);
  },
});

export function parsePolicy(json: string): DeliveryPolicy {
  const value = JSON.parse(json) as { destinations?: Record<string, { domains: string[]; rate?: string | string[]; concurrency?: number }> };
  const destinations: Destination[] = Object.entries(value.destinations ?? {}).map(([name, d]) => ({
    name,
    domains: d.domains.map((domain) => domain.toLowerCase()),
    rate: (d.rate === undefined ? [] : Array.isArray(d.rate) ? d.rate : [d.rate]).map(parseRate),
    ...(d.concurrency === undefined ? {} : { concurrency: d.concurrency }),
  }));
  return { ...EMPTY_POLICY, destinations, smartHosts: new Map(), source: 'RELAY_POLICY_JSON (test preload)' };
}

function parseRate(text: string): RateWindow {
  const match = /^(\d+)\/(s|sec|min|h|hour|day)$/.exec(text);
  if (!match) throw new Error(`test policy preload: rate ${text} is not N/s, N/min, N/h or N/day`);
  return { count: Number(match[1]), seconds: UNIT_SECONDS[match[2]], text };
}
