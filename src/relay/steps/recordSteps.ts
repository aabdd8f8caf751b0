// The steps that record an outcome planned in state.next: the row, its event, and what follows a
// verdict (suppression, the breaker's count, the metrics). The delivery runs them after the send; a policy check
// that ends a recipient without a send (its lifetime ran out) runs the very same ones.
import { countVerdict } from './countVerdict';
import { recordMetrics } from './recordMetrics';
import { recordOutcomeEvent } from './recordEvent';
import { recordOutcome } from './recordOutcome';
import type { DeliveryStep } from './step';
import { suppressBounced } from './suppressBounced';

export const RECORD_STEPS: readonly DeliveryStep[] = [recordOutcome, recordOutcomeEvent, suppressBounced, countVerdict, recordMetrics];
