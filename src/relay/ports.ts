// The ports of the relay's use-cases: what accepting, relaying and reading a message need from the
// outside world. src/storage and src/smtp implement them against Azure Storage and nodemailer;
// test/support/fakes.ts implements them in memory. A use-case imports these, never an adapter, so
// a policy added later is tested without Azurite and storage can change without touching the rules.
import type { RecipientStatus, SmtpOutcome } from '../core/delivery';
import type { Reservation } from '../core/idempotency';
import type { DeliveryTask } from '../core/deliveryTask';

/** One recipient of one message: the record of truth for its delivery. */
export interface DeliveryRow {
  messageId: string;
  recipientKey: string;
  /** the address as the caller wrote it (the local part's case is kept for the envelope) */
  address: string;
  status: RecipientStatus;
  attempts: number;
  smtpCode?: number;
  enhancedCode?: string;
  response?: string;
  from: string;
  subject: string;
  tags: Record<string, string>;
  queuedAt: Date;
  updatedAt: Date;
  nextAttemptAt?: Date;
  sentAt?: Date;
  leaseUntil?: Date;
  /** the queue message whose invocation holds the claim (see decideDelivery) */
  leaseOwner?: string;
  /**
   * how often this recipient's task came back after an invocation that did not finish (a crash or
   * a timeout); each such attempt may have reached the smart host, so each may mean a duplicate
   */
  redeliveries?: number;
}

/** A row with the version (ETag) it was read at, for a conditional replace. */
export interface StoredRow {
  row: DeliveryRow;
  etag: string;
}

/** The row changed under us: another invocation got there first. */
export class RowChangedError extends Error {
  override readonly name = 'RowChangedError';
}

/** The deliveries rows. Rows change only by version-conditional replace. */
export interface DeliveryRows {
  /** Writes every row of one message, all or none (the accept's commit point). */
  insertMessage(rows: readonly DeliveryRow[]): Promise<void>;
  get(messageId: string, recipientKey: string): Promise<StoredRow | undefined>;
  /** Whether any row of the message exists. */
  hasMessage(messageId: string): Promise<boolean>;
  listMessage(messageId: string): Promise<DeliveryRow[]>;
  /** Replaces the row if it is still at `etag`; returns the new version, or throws RowChangedError. */
  replace(row: DeliveryRow, etag: string): Promise<string>;
}

/** The time index of outcomes: one event per recipient state change. */
export interface DeliveryEvents {
  /** Records the rows' current state at `at`; recording the same event again is harmless. */
  record(rows: readonly DeliveryRow[], at: Date): Promise<void>;
}

/** Composed messages too large to travel in their tasks. */
export interface MessageBodies {
  put(messageId: string, raw: Buffer): Promise<void>;
  /** The message, or undefined if it is gone; an unreachable store is an error, not a missing body. */
  get(messageId: string): Promise<Buffer | undefined>;
  delete(messageId: string): Promise<void>;
}

/** A task as queued, enough to take it back. */
export interface EnqueuedTask {
  queueMessageId: string;
  popReceipt: string;
}

/** The delivery queue: one task per recipient attempt. */
export interface TaskQueue {
  /** Queues `task`, invisible for `delaySeconds`. */
  enqueue(task: DeliveryTask, delaySeconds?: number): Promise<EnqueuedTask>;
  delete(task: EnqueuedTask): Promise<void>;
}

export type ReserveResult = { reserved: true } | { reserved: false; existing: Reservation; etag: string };

/** Idempotency-Key reservations. */
export interface IdempotencyKeys {
  reserve(key: string, reservation: Reservation): Promise<ReserveResult>;
  /** Replaces an expired or abandoned reservation; false if someone else replaced it first. */
  takeOver(key: string, reservation: Reservation, etag: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

export interface Envelope {
  from: string;
  to: string;
}

/** The authenticated smart host every message is relayed through. */
export interface SmartHost {
  /** Sends `raw` to one recipient; never throws for an SMTP or network failure, it classifies it. */
  send(envelope: Envelope, raw: Buffer): Promise<SmtpOutcome>;
  close(): void;
}
