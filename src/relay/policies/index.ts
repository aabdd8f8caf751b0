// Policy checks: steps that may stop a delivery after it is decided and before anything is claimed or
// sent (suppression lists, pacing per destination). Each is a file in this folder and a line here;
// a check that stops returns stop(reason) and the row stays as it is, or says what holds it.
import type { DeliveryStep } from '../steps/step';
import { holdPausedSender } from './holdPausedSender';

export const POLICY_CHECKS: readonly DeliveryStep[] = [holdPausedSender];
