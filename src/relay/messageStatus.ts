// GET /api/v1/messages/{id}: the message and each recipient, read from the deliveries table.
import { messageStatus, type RecipientStatus } from '../core/delivery';
import { MESSAGE_ID_PATTERN } from '../core/ids';
import type { Category } from '../core/categories';
import { NotFoundError, orStorageUnavailable } from '../errors';
import type { DeliveryRow } from './ports';
import type { RelayDeps } from './deps';

export interface RecipientView {
  address: string;
  status: RecipientStatus;
  attempts: number;
  smtpCode: number | null;
  enhancedCode: string | null;
  response: string | null;
  category: Category | null;
  updatedAt: string;
  nextAttemptAt: string | null;
  /** the delivery policy holding it back, while one does */
  heldBy: string | null;
  /** the smart host (its policy name, `default` for SMARTHOST_*) that handled its last attempt */
  smartHost: string | null;
}

export interface MessageView {
  id: string;
  status: 'queued' | 'completed';
  createdAt: string;
  updatedAt: string;
  from: string;
  subject: string;
  tags: Record<string, string>;
  recipients: RecipientView[];
}

export async function getMessageView(deps: RelayDeps, id: string): Promise<MessageView> {
  const rows = MESSAGE_ID_PATTERN.test(id) ? await readRows(deps, id) : [];
  if (rows.length === 0) throw new NotFoundError(`No message with id "${id}"`);
  return toView(id, rows);
}

function readRows(deps: RelayDeps, id: string): Promise<DeliveryRow[]> {
  return orStorageUnavailable(() => deps.deliveries.listMessage(id), 'Storage did not answer, so the status cannot be read now. Retry later.');
}

export function toView(id: string, rows: DeliveryRow[]): MessageView {
  const first = rows[0];
  if (!first) throw new Error(`message ${id}: a view needs at least one row`);
  const updatedAt = new Date(Math.max(...rows.map((r) => r.updatedAt.getTime())));
  return {
    id,
    status: messageStatus(rows.map((r) => r.status)),
    createdAt: first.queuedAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    from: first.from,
    subject: first.subject,
    tags: first.tags,
    recipients: rows.map((r) => ({
      address: r.address,
      status: r.status,
      attempts: r.attempts,
      smtpCode: r.smtpCode ?? null,
      enhancedCode: r.enhancedCode ?? null,
      response: r.response ?? null,
      category: r.category ?? null,
      updatedAt: r.updatedAt.toISOString(),
      nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
      heldBy: r.heldBy ?? null,
      smartHost: r.smartHost ?? null,
    })),
  };
}
