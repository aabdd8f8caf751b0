// Policy checks: steps that may stop a delivery after it is decided and before anything is claimed or
// sent (suppression lists, pacing per destination). Each is a file in this folder and a line here;
// a check that stops returns stop(reason) and the row stays as it is, unless the check ends it or says
// what holds it. Suppression comes first: a suppressed address is final, whoever sends to it. Then a
// recipient whose lifetime ended is ended; then the holds that cost no storage call (a pause, the
// quiet hours) before any that counts or reserves (warm-up, then the rates), so a recipient held by
// the one uses none of the other's room.
import type { DeliveryStep } from '../steps/step';
import { checkSuppression } from './checkSuppression';
import { holdForWarmup } from './holdForWarmup';
import { holdPausedSender } from './holdPausedSender';
import { endExpired } from './lifetime';
import { waitForHours } from './waitForHours';

export const POLICY_CHECKS: readonly DeliveryStep[] = [checkSuppression, endExpired, holdPausedSender, waitForHours, holdForWarmup];
