// Preparation: steps between reading the body and sending it (choosing the route, DKIM signing).
// Each is a file in this folder and a line here. None yet: every message goes to the one smart host
// as composed.
import type { DeliveryStep } from '../steps/step';

export const PREPARE_STEPS: readonly DeliveryStep[] = [];
