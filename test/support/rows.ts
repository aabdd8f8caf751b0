// A deliveries row as the accept writes it, for the unit tests that seed FakeDeliveryRows: one
// recipient (rcpt@example.net, written Rcpt@ as a caller may) of a message from app@example.com.
import type { DeliveryRow } from '../../src/relay/ports';

export const RECIPIENT = 'rcpt@example.net';

export function queuedRow(messageId: string, at: Date, changes: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    messageId,
    recipientKey: RECIPIENT,
    address: 'Rcpt@example.net',
    status: 'queued',
    attempts: 0,
    from: 'app@example.com',
    subject: 'hi',
    tags: {},
    queuedAt: at,
    updatedAt: at,
    ...changes,
  };
}
