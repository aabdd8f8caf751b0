// Count the recorded outcome in the delivery metrics (in memory, no storage call), with its
// destination group and, for a final outcome, the time since the message was accepted.
import { domainOf } from '../../core/address';
import { destinationFor } from '../../core/policy/types';
import type { RelayDeps } from '../deps';
import type { DeliveryRow, MetricOutcome } from '../ports';
import { CONTINUE, type DeliveryStep, known } from './step';

const FINAL: ReadonlySet<string> = new Set(['sent', 'bounced', 'failed']);

export const recordMetrics: DeliveryStep = {
  name: 'count the outcome in the metrics',
  run(state) {
    const next = known(state.next, 'the planned row');
    // a recipient ended without a send (its lifetime ran out) has no send time: the decision's is its end
    countOutcome(state.deps, next, state.finishedAt ?? known(state.decidedAt, 'the time of the decision'));
    return CONTINUE;
  },
};

/** The destination group a recipient is counted under: its policy destination's name, or `other`. */
export function metricDestination(deps: Pick<RelayDeps, 'config'>, address: string): string {
  return destinationFor(deps.config.policy, domainOf(address))?.name ?? 'other';
}

/** Counts a row's outcome; a status that is no outcome (queued, sending) is not counted. */
export function countOutcome(deps: Pick<RelayDeps, 'config' | 'metrics'>, row: DeliveryRow, at: Date): void {
  const outcome = row.status as MetricOutcome;
  if (!['sent', 'deferred', 'bounced', 'failed', 'suppressed'].includes(outcome)) return;
  const destination = metricDestination(deps, row.address);
  deps.metrics.count(outcome, { destination, category: row.category });
  if (FINAL.has(outcome)) deps.metrics.latency((at.getTime() - row.queuedAt.getTime()) / 1000, { destination, outcome });
}
