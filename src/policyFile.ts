// Reads the delivery policy for loadConfig: relay-policy.json at the app root, the file RELAY_POLICY_FILE
// names, or the JSON in RELAY_POLICY_JSON. Checking it and applying presets is pure (src/core/policy);
// this module only finds and reads the text. Problems are added to loadConfig's list, naming the path.
import { EMPTY_POLICY, type DeliveryPolicy } from './core/policy/types';

export interface PolicySource {
  /** RELAY_POLICY_FILE */
  file?: string;
  /** RELAY_POLICY_JSON */
  json?: string;
}

/** The policy in effect; on a problem, pushes it to `problems` and returns the built-in policy. */
export function readDeliveryPolicy(source: PolicySource, problems: string[]): DeliveryPolicy {
  // interim: the policy branch reads and checks the file here
  void source;
  void problems;
  return EMPTY_POLICY;
}
