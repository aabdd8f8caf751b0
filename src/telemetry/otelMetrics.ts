// The delivery metrics as OpenTelemetry instruments. Attributes are the destination group (a name
// from the policy, or `other`), the outcome and the category: never an address or a domain, so the
// number of series stays small whatever the traffic.
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { DeliveryMetrics, MetricOutcome } from '../relay/ports';

export const METER_NAME = 'azure-smtp-relay';
export const RECIPIENTS_METRIC = 'relay.recipients';
export const LATENCY_METRIC = 'relay.delivery.duration';

/** Seconds from acceptance to the outcome: a send takes about one; a carrier's backlog hours. */
const LATENCY_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

export class OtelDeliveryMetrics implements DeliveryMetrics {
  readonly #recipients: Counter;
  readonly #latency: Histogram;

  constructor(meter: Meter) {
    this.#recipients = meter.createCounter(RECIPIENTS_METRIC, {
      description: 'Recipients by outcome (sent, deferred, bounced, failed, suppressed, held) and destination group',
      unit: '{recipient}',
    });
    this.#latency = meter.createHistogram(LATENCY_METRIC, {
      description: 'Time from acceptance to the final outcome of a recipient',
      unit: 's',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    });
  }

  count(outcome: MetricOutcome, labels: { destination: string; category?: string }): void {
    const attributes: Attributes = { 'relay.outcome': outcome, 'relay.destination': labels.destination };
    if (labels.category) attributes['relay.category'] = labels.category;
    this.#recipients.add(1, attributes);
  }

  latency(seconds: number, labels: { destination: string; outcome: MetricOutcome }): void {
    this.#latency.record(Math.max(0, seconds), { 'relay.outcome': labels.outcome, 'relay.destination': labels.destination });
  }
}
