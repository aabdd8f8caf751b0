// A delivery policy for the reaction and suspension tests, set directly on a FakeRelay's config
// (relay.config.policy = reactionPolicy()), as the policy file would give it once checked: two
// destinations and a rule of each kind the built-in ones have (suspend on a carrier's block code,
// slow on a rate warning after a threshold, suspend the smart host on its own limit).
import { type DeliveryPolicy, type Destination, EMPTY_POLICY, type ReactionRule } from '../../src/core/policy/types';

export const YAHOO_JP: Destination = { name: 'yahoo-jp', domains: ['yahoo.co.jp'], rate: [] };
export const GMAIL: Destination = { name: 'gmail', domains: ['gmail.com', 'googlemail.com'], rate: [] };

export const RULES: readonly ReactionRule[] = [
  { name: 'yahoo-jp-tss04', pattern: /\[TSS04\]|VS98-IP0/, destinations: ['yahoo-jp'], action: 'suspend', target: 'destination', durationSeconds: 3600 },
  {
    name: 'gmail-rate',
    pattern: /^4\d\d 4\.7\.28\b/,
    destinations: ['gmail'],
    threshold: { count: 3, windowSeconds: 3600 },
    action: 'slow',
    target: 'destination',
    rateFactor: 0.5,
    durationSeconds: 1800,
  },
  { name: 'smart-host-quota', pattern: /4\.7\.0 .*sending quota/i, action: 'suspend', target: 'smartHost', durationSeconds: 600 },
];

export function reactionPolicy(rules: readonly ReactionRule[] = RULES): DeliveryPolicy {
  return { ...EMPTY_POLICY, destinations: [YAHOO_JP, GMAIL], reactions: rules, source: 'a test' };
}
