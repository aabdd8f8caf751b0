// Policy checks: steps that may stop a delivery after it is decided and before anything is claimed or
// sent (suppression lists, pacing per destination). Each is a file in this folder and a line here;
// a check that stops returns stop(reason) and the row stays as it is, unless the check ends it or says
// what holds it. A recipient whose lifetime ended is ended first; then the quiet hours, which need
// no storage call and spare the suppression query of a recipient they hold (the list is checked when
// the window opens, before anything is sent); then the suppression list, final whoever sends to the
// address; then a message too large for its destination, final too; then the holds that read shared
// state (a pause, a suspension) or count (warm-up, then the rates), so a recipient held by one uses
// none of the others' room. The route is chosen before the suspensions are looked at: the holds after
// it read the limits, plans and suspensions of the route's first smart host.
import type { DeliveryStep } from '../steps/step';
import { checkSuppression } from './checkSuppression';
import { holdForWarmup } from './holdForWarmup';
import { holdForRate } from './holdForRate';
import { holdPausedSender } from './holdPausedSender';
import { endExpired } from './lifetime';
import { refuseOversized } from './refuseOversized';
import { waitForHours } from './waitForHours';
import { holdSuspended } from './holdSuspended';
import { chooseRoute } from './chooseRoute';

export const POLICY_CHECKS: readonly DeliveryStep[] = [
  endExpired,
  waitForHours,
  checkSuppression,
  refuseOversized,
  holdPausedSender,
  chooseRoute,
  holdSuspended,
  holdForWarmup,
  holdForRate,
];
