// A delivery policy from the policy file's JSON, checked as the relay checks it, for tests that set
// it on a FakeRelay's config (relay.config.policy = policyOf({...})).
import assert from 'node:assert/strict';
import { checkPolicy } from '../../src/core/policy/check';
import type { DeliveryPolicy } from '../../src/core/policy/types';

export function policyOf(json: unknown): DeliveryPolicy {
  const checked = checkPolicy(json, 'test policy');
  if (!checked.ok) assert.fail(checked.problems.join('\n'));
  return checked.policy;
}
