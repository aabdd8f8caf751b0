// Preparation: steps between reading the body and sending it (choosing the route, DKIM signing).
// Each is a file in this folder and a line here. Signing goes last: it must cover what the steps
// before it add.
import type { DeliveryStep } from '../steps/step';
import { addUnsubscribeHeaders } from './addUnsubscribeHeaders';
import { signDkim } from './signDkim';

export const PREPARE_STEPS: readonly DeliveryStep[] = [addUnsubscribeHeaders, signDkim];
