// The row of a recipient a policy check ends without sending to it (suppressed, too large, expired):
// no SMTP reply of its own, no hold, no claim left on it. One shape, so each check says only why.
import type { DeliveryRow } from '../ports';

export function endedUnsent(row: DeliveryRow, end: Pick<DeliveryRow, 'status' | 'category' | 'response'>, now: Date): DeliveryRow {
  return {
    ...row,
    ...end,
    smtpCode: undefined,
    enhancedCode: undefined,
    updatedAt: now,
    nextAttemptAt: undefined,
    leaseUntil: undefined,
    leaseOwner: undefined,
    heldBy: undefined,
  };
}
