// The suppression list, checked again just before the send: an address suppressed after its message
// was accepted (a bounce of another message, an operator's entry, an unsubscribe) is not sent. The
// list is read while the row is read (lookUpSuppressions runs first and does not wait), so the check
// adds little latency of its own. The accept looked every recipient up already: while the list has
// not changed since for the address (storage/suppressionChanges.ts: one read of the list's change
// marks, shared by the deliveries running at the same moment), it is not looked up again. A
// suppressed row is final; it was read before any claim of this invocation, and its lease fields are
// cleared, so nothing stays held.
import { domainOf } from '../../core/address';
import { applyingEntry, suppressedResponse, type SuppressionEntry } from '../../core/suppression';
import { type DeliveryRow, RowChangedError } from '../ports';
import { recordEvent } from '../steps/recordEvent';
import { CONTINUE, type DeliveryState, type DeliveryStep, known, stop } from '../steps/step';
import { closedDestination } from './waitForHours';
import { countOutcome } from '../steps/recordMetrics';
import { endedUnsent } from './endUnsent';

export const lookUpSuppressions: DeliveryStep = {
  name: 'look up the suppression list',
  run(state) {
    // Outside its destination's hours the recipient is held before the check (waitForHours): no query.
    if (closedDestination(state.deps.config.policy, state.task.recipient, state.deps.now())) return CONTINUE;
    state.suppressions = lookUp(state);
    return CONTINUE;
  },
};

export const checkSuppression: DeliveryStep = {
  name: 'check the suppression list',
  async run(state) {
    const found = known(state.found, 'the row');
    // Not looked up yet: the hours were closed at the start and have opened since.
    const entries = await (state.suppressions ?? lookUp(state));
    // Storage is down: leave the task to the queue, as a failed row read does.
    if (!Array.isArray(entries)) throw entries.failed;
    const now = state.deps.now();
    const entry = applyingEntry(entries, domainOf(found.row.from), now);
    if (!entry) return CONTINUE;
    const row = suppressedRow(found.row, entry, now);
    try {
      await state.deps.deliveries.replace(row, found.etag);
    } catch (err) {
      if (err instanceof RowChangedError) return stop('suppressed, but the row changed meanwhile (a duplicate task?); not recorded, not sent', 'warn');
      throw err;
    }
    await recordEvent(state.deps, row, now, state.log, state.label);
    countOutcome(state.deps, row, now);
    return stop(`suppressed: ${row.response ?? ''}`);
  },
};

// Settled here, so a lookup whose answer no step waits for (a skipped task) is no unhandled rejection.
function lookUp(state: DeliveryState): Promise<SuppressionEntry[] | { failed: unknown }> {
  const { suppressions } = state.deps;
  const readAt = acceptLookupTime(state);
  const changed = readAt === undefined ? Promise.resolve(true) : suppressions.changedSince(state.task.recipient, readAt);
  return changed.then((yes) => (yes ? suppressions.find(state.task.recipient) : [])).catch((err: unknown) => ({ failed: err }));
}

function acceptLookupTime(state: DeliveryState): Date | undefined {
  const at = state.task.suppressionsReadAt === undefined ? NaN : Date.parse(state.task.suppressionsReadAt);
  return Number.isFinite(at) ? new Date(at) : undefined;
}

function suppressedRow(row: DeliveryRow, entry: SuppressionEntry, now: Date): DeliveryRow {
  return endedUnsent(row, { status: 'suppressed', category: entry.category, response: suppressedResponse(entry) }, now);
}
