// Policy checks: steps that may stop a delivery after it is decided and before anything is claimed or
// sent (suppression lists, pacing per destination). Each is a file in this folder and a line here;
// a check that stops returns stop(reason) and the row stays as it is, unless the check ends it or says
// what holds it. Suppression comes first: a suppressed address is final, whoever sends to it.
import type { DeliveryStep } from '../steps/step';
import { checkSuppression } from './checkSuppression';
import { holdForRate } from './holdForRate';
import { holdPausedSender } from './holdPausedSender';

export const POLICY_CHECKS: readonly DeliveryStep[] = [checkSuppression, holdPausedSender, holdForRate];
