// Events an upstream reports after its 250 (SendGrid's webhook, ACS delivery reports, DSNs), matched
// to the recipient they concern and applied: a late bounce makes a `sent` recipient `bounced`, with
// its category, suppression and the breaker's count. The event endpoints parse their upstream's
// format into UpstreamEvents and hand them here.
import type { UpstreamReport } from '../core/classify';
import type { RelayDeps, RelayLog } from './deps';

export interface UpstreamEvent extends UpstreamReport {
  /** the upstream's id for this event (SendGrid sg_event_id, Event Grid id), so it is applied once */
  eventId?: string;
  /** the recipient address the event is about */
  recipient: string;
  /** correlation, strongest first: a VERP return path, the relay's Message-ID, the upstream's id */
  returnPath?: string;
  internetMessageId?: string;
  upstreamId?: string;
  at: Date;
}

export interface AppliedSummary {
  /** changed a recipient, the suppression list or the breaker's counts */
  applied: number;
  /** matched a recipient, but said nothing new (a delivered report, an event applied before) */
  unchanged: number;
  /** matched no recipient of this relay: changed nothing */
  unmatched: number;
}

export async function applyUpstreamEvents(_deps: RelayDeps, events: readonly UpstreamEvent[], _log: RelayLog): Promise<AppliedSummary> {
  // Implemented by the events work (issue 9); the endpoints are written against this signature.
  return Promise.resolve({ applied: 0, unchanged: 0, unmatched: events.length });
}
