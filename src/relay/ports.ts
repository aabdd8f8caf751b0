// The ports of the relay's use-cases: what accepting, relaying and reading a message need from the
// outside world. src/storage and src/smtp implement them against Azure Storage and nodemailer;
// test/support/fakes.ts implements them in memory. A use-case imports these, never an adapter, so
// a policy added later is tested without Azurite and storage can change without touching the rules.
import type { RecipientStatus, SmtpOutcome } from '../core/delivery';
import type { Reservation } from '../core/idempotency';
import type { DeliveryTask } from '../core/deliveryTask';
import type { Category } from '../core/categories';
import type { SuppressionEntry, SuppressionSource } from '../core/suppression';
import type { BreakerThresholds } from '../core/breaker';
import type { DestinationCharset, RateWindow, SuspendableKind } from '../core/policy/types';
import type { StatsEvent } from '../core/deliveryStats';
import type { ListPosition } from '../core/messageList';

/** One recipient of one message: the record of truth for its delivery. */
export interface DeliveryRow {
  messageId: string;
  recipientKey: string;
  /** the address in its RFC 5322 form (core/address: quoted when it must be; the local part's case is kept for the envelope) */
  address: string;
  status: RecipientStatus;
  attempts: number;
  smtpCode?: number;
  enhancedCode?: string;
  response?: string;
  /** why it ended as it did, once a reply or event was classified (core/categories) */
  category?: Category;
  /** the delivery policy holding it back (a paused sender, later pacing); cleared when it is attempted */
  heldBy?: string;
  /** the id the smart host gave the message in its 250 reply, to match its later events */
  upstreamId?: string;
  /** the smart host (policy name, `default` for SMARTHOST_*) that handled its last attempt */
  smartHost?: string;
  /** the send asked for one-click unsubscribe headers (RFC 8058) */
  unsubscribe?: boolean;
  /** the composed message's size, for a destination's maxMessageBytes; absent on rows of older versions */
  messageBytes?: number;
  /** the charset its message was composed in, when its destination asked for one (absent: UTF-8); readBody finds that body */
  charset?: DestinationCharset;
  from: string;
  subject: string;
  tags: Record<string, string>;
  queuedAt: Date;
  updatedAt: Date;
  nextAttemptAt?: Date;
  /** the time a scheduled send asked for (SendGrid's send_at): its retries count from then, not from queuedAt */
  sendAt?: Date;
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
  /**
   * Records the rows' current state at `at`; recording the same event again is harmless. `paced`: the
   * outcome of a send paced by a rate rule, which nobody waits on and the next paced send's follows
   * within ms, so the store may hold it a moment to write both in one transaction.
   */
  record(rows: readonly DeliveryRow[], at: Date, paced?: boolean): Promise<void>;
  /**
   * The `sent` events whose upstreamId is `upstreamId`, in the `hours` hours up to `before`, newest
   * first: how an upstream's later event finds its recipient by the id of the 250 reply. One query per
   * hour; an operator-rare path, so no index is written per message for it.
   */
  findSent(upstreamId: string, before: Date, hours: number): Promise<SentEvent[]>;
  /** Every event of the UTC hour that `hour` falls in: one query of one partition (the operators' stats). */
  inHour(hour: Date): Promise<OutcomeEvent[]>;
}

/** One recorded outcome as the operators' stats read it back (the shape core/deliveryStats counts). */
export type OutcomeEvent = StatsEvent;

export interface SentEvent {
  messageId: string;
  recipientKey: string;
  at: Date;
}

/** Which upstream events were applied already, so that each is applied once. */
export interface AppliedEvents {
  /** Records (source, eventId) if it is new: true the first time, false when it was recorded before. */
  firstTime(source: string, eventId: string, at: Date): Promise<boolean>;
  /** Forgets it again, when applying the event failed and its sender will retry it. */
  forget(source: string, eventId: string): Promise<void>;
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

/** One authenticated smart host a message is relayed through. */
export interface SmartHost {
  /** Sends `raw` to one recipient; never throws for an SMTP or network failure, it classifies it. */
  send(envelope: Envelope, raw: Buffer): Promise<SmtpOutcome>;
  close(): void;
}

/** The smart hosts by policy name; `default` (the SMARTHOST_* settings) is always there. */
export type SmartHosts = ReadonlyMap<string, SmartHost>;

/**
 * How each smart host has been doing, shared by every instance (storage/smartHostHealthStore): a
 * host that keeps failing over its recipients cools off, is skipped while it does, and is tried
 * again after it.
 */
export interface SmartHostHealth {
  /** The end of `name`'s cool-off in force at `now`, if any; from a short-lived cache, so no storage call per send. */
  coolingUntil(name: string, now: Date): Promise<Date | undefined>;
  /**
   * Counts one failure of `name` that made a recipient fail over or defer (a connection, timeout,
   * TLS or auth failure, or the host's own 4xx); returns the end of the cool-off it started, if it did.
   */
  recordFailure(name: string, reason: string, now: Date): Promise<Date | undefined>;
  /** A send through `name` got a reply from it: its run of failures ends (no storage call when it had none). */
  recordSuccess(name: string, now: Date): Promise<void>;
  /** Every cool-off in force at `now`, by name, read fresh (the operators' stats). */
  list(now: Date): Promise<SmartHostCoolOff[]>;
}

/** A smart host skipped until `until` because it kept failing. */
export interface SmartHostCoolOff {
  name: string;
  until: Date;
  /** failures in the run that cooled it off, and when that run began */
  failures: number;
  since: Date;
  /** the last failure counted */
  reason: string;
}

export interface SuppressionQuery {
  /** recipient domain, lower case */
  domain?: string;
  source?: SuppressionSource;
  limit: number;
  continuationToken?: string;
}

export interface SuppressionPage {
  items: SuppressionEntry[];
  continuationToken?: string;
}

/** The suppression list: entries keyed by (address, scope), see core/suppression. */
export interface Suppressions {
  /** Every entry for the address, of every scope and expired ones included, in one storage transaction. */
  find(address: string): Promise<SuppressionEntry[]>;
  /** Adds or replaces the entry with its (address, scope). */
  put(entry: SuppressionEntry): Promise<'created' | 'replaced'>;
  /** Removes the address's entry of `scope`, or every entry of the address; how many were removed. */
  delete(address: string, scope?: string): Promise<number>;
  list(query: SuppressionQuery): Promise<SuppressionPage>;
  /**
   * False only when no entry for the address can have been added or replaced at or after `at`: its
   * entries are then as a lookup made at `at` saw them. Read after the call begins (never an answer
   * from before it), so a delivery that skips its own lookup on false misses nothing it would find.
   */
  changedSince(address: string, at: Date): Promise<boolean>;
}

/** One delivery verdict or upstream report for a sender domain, as the bounce-rate breaker counts it. */
export interface SenderCounts {
  /** recipients that got a verdict (sent or bounced); a suppressed recipient is none */
  attempts?: number;
  /** bounces of category invalid-recipient, immediate or late */
  hardBounces?: number;
  complaints?: number;
}

export interface SenderPause {
  domain: string;
  since: Date;
  reason: string;
}

export interface SenderView {
  domain: string;
  state: 'active' | 'warning' | 'paused';
  /** the counts over the breaker's window (since the last resume, if later) */
  windowStart: string;
  attempts: number;
  hardBounces: number;
  complaints: number;
  /** percentages of attempts */
  bounceRate: number;
  complaintRate: number;
  pausedAt: string | null;
  pausedReason: string | null;
  resumedAt: string | null;
  /** the settings in force, so an operator reads the rates against them */
  thresholds: BreakerThresholds;
}

/** The bounce-rate breaker per sender domain: counts, warnings and pauses shared by every instance. */
export interface SenderReputation {
  /** Counts outcomes for the sender domain; in memory, written to storage in the background. */
  record(senderDomain: string, counts: SenderCounts, at: Date): void;
  /** The domain's pause, if it is paused; answered from a short-lived cache, so it costs no storage call per send. */
  pauseOf(senderDomain: string): Promise<SenderPause | undefined>;
  /** The domain's counts and state, read fresh (the operator endpoint). */
  view(senderDomain: string): Promise<SenderView>;
  /** Lifts a pause; counting starts again from `at`. A domain not paused is left as it is. */
  resume(senderDomain: string, at: Date): Promise<SenderView>;
  /** An operator's pause; a paused domain keeps the pause it has. */
  pause(senderDomain: string, reason: string, at: Date): Promise<SenderView>;
  /** Writes the counts kept in memory now (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops the background writes after writing what is left. */
  close(): Promise<void>;
}

/** One limit a send must fit under: the windows of the destination, smart host or warm-up it counts against. */
export interface ThrottleLimit {
  /** e.g. `destination:jp-docomo`, `smartHost:default`, `warmup:sender:example.jp` */
  key: string;
  windows: readonly RateWindow[];
}

/** Where reserveInWindows counted a send. */
export interface WindowReservation {
  at: Date;
  /** the key of the limit whose full window moved it past `now`; absent when it counts at `now` */
  movedBy?: string;
}

/** An in-flight lease on one of a key's `concurrency` places; released after the attempt, or it expires. */
export interface ThrottleLease {
  key: string;
  /** which of the key's places it holds */
  place: number;
  owner: string;
  until: Date;
}

/**
 * Delivery pacing shared by every instance (storage/throttleStore). Reserving never fails open: when
 * storage cannot say, the adapter throws and the attempt is left for the queue to bring back.
 */
export interface Throttles {
  /**
   * Reserves one send under every limit at the same moment and returns it: `now`, or the first
   * later moment at which each window has room. The reservation counts at once (whether or not the
   * caller waits for it), so callers that wait do not poll: they come back at their moment and send.
   */
  reserve(limits: readonly ThrottleLimit[], now: Date): Promise<Date>;
  /**
   * Counts one send in fixed windows, for caps rather than rates (warm-up: "at most 20 in each
   * hour"): each window of `seconds` is aligned to UTC (every hour, every day) and takes at most
   * `count`, not spread. Returns the moment it counts at: `now` when every limit's current windows
   * have room, else the start of the first later window where all have, with `movedBy` the key of
   * the limit whose full window moved it last. It counts at once, in the windows of that moment.
   */
  reserveInWindows(limits: readonly ThrottleLimit[], now: Date): Promise<WindowReservation>;
  /** Takes one of `concurrency` places of `key` until `until`, or says when the earliest taken place frees. */
  acquire(key: string, concurrency: number, owner: string, until: Date, now: Date): Promise<ThrottleLease | { busyUntil: Date }>;
  /** Gives a place back (a lease already expired or taken over is left alone). */
  release(lease: ThrottleLease): Promise<void>;
}

/** A suspended (or slowed) destination or smart host, until its expiry. */
export interface Suspension {
  kind: SuspendableKind;
  name: string;
  reason: string;
  /** `reaction` (a reaction rule matched a reply; `rule` names it) or `manual` (an operator) */
  source: 'reaction' | 'manual';
  rule?: string;
  /** set for a slow-down: the rate is multiplied by it; absent means nothing is sent until `until` */
  rateFactor?: number;
  createdAt: Date;
  until: Date;
}

/** Suspensions shared by every instance (storage/suspensionStore). */
export interface Suspensions {
  /** The one in force for (kind, name) at `now`; from a short-lived cache, so no storage call per send. */
  activeFor(kind: SuspendableKind, name: string, now: Date): Promise<Suspension | undefined>;
  /** Every suspension in force at `now` (the operator endpoint), read fresh. */
  list(now: Date): Promise<Suspension[]>;
  /** Adds or replaces the suspension of (kind, name). */
  put(suspension: Suspension): Promise<'created' | 'replaced'>;
  /** Lifts it; false when there was none in force. */
  lift(kind: SuspendableKind, name: string): Promise<boolean>;
  /** Counts one match of a reaction rule for (kind, name) and returns the matches within `windowSeconds`, across instances. */
  countMatch(rule: string, kind: SuspendableKind, name: string, windowSeconds: number, at: Date): Promise<number>;
}

/** One message as the time index holds it: what a list shows without reading the deliveries table. */
export interface IndexedMessage {
  messageId: string;
  acceptedAt: Date;
  from: string;
  subject: string;
  tags: Record<string, string>;
  recipientCount: number;
}

export interface MessageIndexQuery {
  /** inclusive */
  since: Date;
  /** exclusive */
  until: Date;
  /** lower case; equality filters the index answers itself */
  from?: string;
  recipient?: string;
  tags: Record<string, string>;
  /** start after this position (newest first); absent: at `until` */
  after?: ListPosition;
  limit: number;
}

export interface MessageIndexPage {
  /** newest first, at most `limit` */
  items: IndexedMessage[];
  /** where the next read starts; absent when the range is read to its end */
  next?: ListPosition;
}

/**
 * The time index of accepted messages (storage/messageIndexStore): rows by the hour of acceptance,
 * newest first, so that a list reads about what it returns, never the whole deliveries table.
 */
export interface MessageIndex {
  /** Indexes one message (its rows, one per recipient): all or none, in one storage transaction that concurrent messages' rows may share. */
  add(rows: readonly DeliveryRow[]): Promise<void>;
  /** Takes a message's index rows back, when its accept fails after writing them. */
  remove(rows: readonly DeliveryRow[]): Promise<void>;
  /** One page; it may hold fewer than `limit` items with a `next` when a read budget ran out first. */
  page(query: MessageIndexQuery): Promise<MessageIndexPage>;
}

/** A task the relay gave up on, kept so that an operator can put it back (storage/poisonStore). */
export interface PoisonRecord {
  /** stable per (message, recipient): the same poison recorded twice is one record */
  id: string;
  messageId: string;
  recipient: string;
  /** the task as it came off the poison queue, body included */
  task: DeliveryTask;
  poisonedAt: Date;
  /** the row's updatedAt when it was marked failed: a row changed since is not this failure any more */
  failedAt: Date;
  /** the row's last reply before it was marked failed */
  lastResponse?: string;
  attempts: number;
}

export interface PoisonPage {
  items: PoisonRecord[];
  /** the id to pass as `after` for the next page */
  next?: string;
}

export interface PoisonTasks {
  put(record: PoisonRecord): Promise<void>;
  get(id: string): Promise<PoisonRecord | undefined>;
  /** In id order, after `after`. */
  list(limit: number, after?: string): Promise<PoisonPage>;
  delete(id: string): Promise<void>;
}

/** What the metrics count a recipient as: its outcome, or `held` each time a delivery policy holds it. */
export type MetricOutcome = 'sent' | 'deferred' | 'bounced' | 'failed' | 'suppressed' | 'held';

/**
 * Delivery counters and latency (telemetry/otelMetrics: OpenTelemetry, exported to Application
 * Insights in Azure). In memory, exported in the background: no storage call, never throws.
 */
export interface DeliveryMetrics {
  /** one recipient's outcome; `destination` is its destination group's name, or `other` */
  count(outcome: MetricOutcome, labels: { destination: string; category?: string }): void;
  /** from acceptance to a final outcome (sent, bounced, failed), in seconds */
  latency(seconds: number, labels: { destination: string; outcome: MetricOutcome }): void;
}
