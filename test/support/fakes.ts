// In-memory fakes of every port in src/relay/ports.ts, for the unit tier: the use-cases run against
// these in milliseconds. They keep the contracts the adapters keep (conditional replace by version,
// all-or-nothing insert, a missing body is undefined) and record every call, so a test can pin how
// many storage operations a decision costs. The integration tests run the real adapters.
import { loadConfig, type RelayConfig } from '../../src/config';
import type { SmtpOutcome } from '../../src/core/delivery';
import type { Reservation } from '../../src/core/idempotency';
import type { DeliveryTask } from '../../src/core/deliveryTask';
import type { RelayDeps } from '../../src/relay/deps';
import { FakeSenders, FakeSuppressions } from './fakePolicies';
import { FakeAppliedEvents } from './fakeAppliedEvents';
import { FakeSuspensions, FakeThrottles } from './fakeShaping';
import { FakeSmartHostHealth } from './fakeSmartHostHealth';
import { FakeMessageIndex, FakePoisonTasks } from './fakeMessageIndex';
import {
  type DeliveryEvents,
  type DeliveryRow,
  type DeliveryRows,
  type EnqueuedTask,
  type Envelope,
  type DeliveryMetrics,
  type IdempotencyKeys,
  type MetricOutcome,
  type MessageBodies,
  type OutcomeEvent,
  type ReserveResult,
  RowChangedError,
  type SmartHost,
  type SentEvent,
  type StoredRow,
  type TaskQueue,
} from '../../src/relay/ports';

/** Every call to a fake, as "port.method", in order. */
export type CallLog = string[];

/**
 * Failures to inject: `fail('deliveries.insertMessage')` makes the next such call throw. Shared by
 * the fakes of one FakeRelay so a test names the operation, not the object.
 */
export class Faults {
  readonly #pending = new Map<string, unknown[]>();

  fail(operation: string, error: unknown = new Error(`injected failure of ${operation}`)): void {
    this.#pending.set(operation, [...(this.#pending.get(operation) ?? []), error]);
  }

  /** Records the call; throws if a failure was injected for it. */
  check(calls: CallLog, operation: string): void {
    calls.push(operation);
    const queued = this.#pending.get(operation);
    if (queued && queued.length > 0) throw queued.shift();
  }
}

/**
 * Runs `work` now and answers as an async method would, so an injected fault reaches the caller as a
 * rejection (as the real adapters' would), never as a synchronous throw.
 */
export function asAsync<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}

function copyRow(row: DeliveryRow): DeliveryRow {
  return { ...row, tags: { ...row.tags } };
}

export class FakeDeliveryRows implements DeliveryRows {
  readonly rows = new Map<string, StoredRow>();
  #version = 0;

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  #key(messageId: string, recipientKey: string): string {
    return `${messageId}\n${recipientKey}`;
  }

  #store(row: DeliveryRow): string {
    const etag = `v${++this.#version}`;
    this.rows.set(this.#key(row.messageId, row.recipientKey), { row: copyRow(row), etag });
    return etag;
  }

  /** Puts a row in place as if an earlier accept or attempt had written it. */
  seed(row: DeliveryRow): string {
    return this.#store(row);
  }

  /** The row as stored now. */
  row(messageId: string, recipientKey: string): DeliveryRow | undefined {
    const stored = this.rows.get(this.#key(messageId, recipientKey));
    return stored && copyRow(stored.row);
  }

  insertMessage(rows: readonly DeliveryRow[]): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'deliveries.insertMessage');
      if (rows.some((r) => this.rows.has(this.#key(r.messageId, r.recipientKey)))) throw new Error('a row of this message exists already');
      for (const row of rows) this.#store(row);
    });
  }

  get(messageId: string, recipientKey: string): Promise<StoredRow | undefined> {
    return asAsync(() => {
      this.faults.check(this.calls, 'deliveries.get');
      const stored = this.rows.get(this.#key(messageId, recipientKey));
      return stored && { row: copyRow(stored.row), etag: stored.etag };
    });
  }

  hasMessage(messageId: string): Promise<boolean> {
    return asAsync(() => {
      this.faults.check(this.calls, 'deliveries.hasMessage');
      return [...this.rows.values()].some((s) => s.row.messageId === messageId);
    });
  }

  listMessage(messageId: string): Promise<DeliveryRow[]> {
    return asAsync(() => {
      this.faults.check(this.calls, 'deliveries.listMessage');
      return [...this.rows.values()].filter((s) => s.row.messageId === messageId).map((s) => copyRow(s.row));
    });
  }

  replace(row: DeliveryRow, etag: string): Promise<string> {
    return asAsync(() => {
      this.faults.check(this.calls, 'deliveries.replace');
      const stored = this.rows.get(this.#key(row.messageId, row.recipientKey));
      if (!stored || stored.etag !== etag) throw new RowChangedError(`delivery ${row.messageId} to ${row.recipientKey} changed meanwhile`);
      return this.#store(row);
    });
  }
}

export class FakeEvents implements DeliveryEvents {
  readonly recorded: { row: DeliveryRow; at: Date }[] = [];

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  record(rows: readonly DeliveryRow[], at: Date): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'events.record');
      for (const row of rows) this.recorded.push({ row: copyRow(row), at });
    });
  }

  /** As the adapter: the recorded `sent` events with this upstreamId within `hours` before `before`, newest first. */
  findSent(upstreamId: string, before: Date, hours: number): Promise<SentEvent[]> {
    return asAsync(() => {
      this.faults.check(this.calls, 'events.findSent');
      const since = before.getTime() - hours * 3_600_000;
      return this.recorded
        .filter((e) => e.row.status === 'sent' && e.row.upstreamId === upstreamId && e.at.getTime() > since && e.at.getTime() <= before.getTime() + 3_600_000)
        .sort((a, b) => b.at.getTime() - a.at.getTime())
        .map((e) => ({ messageId: e.row.messageId, recipientKey: e.row.recipientKey, at: e.at }));
    });
  }

  /** As the adapter: every event recorded in the UTC hour of `hour`. */
  inHour(hour: Date): Promise<OutcomeEvent[]> {
    return asAsync(() => {
      this.faults.check(this.calls, 'events.inHour');
      const start = Math.floor(hour.getTime() / 3_600_000) * 3_600_000;
      return this.recorded.filter((e) => e.at.getTime() >= start && e.at.getTime() < start + 3_600_000).map((e) => outcomeOf(e.row, e.at));
    });
  }
}

function outcomeOf(row: DeliveryRow, at: Date): OutcomeEvent {
  const { messageId, recipientKey, status, from, subject, smtpCode, enhancedCode, response, category, heldBy, nextAttemptAt } = row;
  const event: OutcomeEvent = { messageId, recipientKey, status, at, from, subject };
  return Object.assign(
    event,
    Object.fromEntries(Object.entries({ smtpCode, enhancedCode, response, category, heldBy, nextAttemptAt }).filter(([, v]) => v !== undefined)),
  );
}

export class FakeBodies implements MessageBodies {
  readonly bodies = new Map<string, Buffer>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  put(messageId: string, raw: Buffer): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'bodies.put');
      this.bodies.set(messageId, Buffer.from(raw));
    });
  }

  get(messageId: string): Promise<Buffer | undefined> {
    return asAsync(() => {
      this.faults.check(this.calls, 'bodies.get');
      return this.bodies.get(messageId);
    });
  }

  delete(messageId: string): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'bodies.delete');
      this.bodies.delete(messageId);
    });
  }
}

export interface QueuedTask extends EnqueuedTask {
  task: DeliveryTask;
  delaySeconds: number;
}

export class FakeQueue implements TaskQueue {
  /** tasks queued and not deleted, oldest first */
  readonly tasks: QueuedTask[] = [];
  #next = 0;

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
    /** the port's name in the call log: "queue" or "poisonQueue" */
    private readonly port = 'queue',
  ) {}

  enqueue(task: DeliveryTask, delaySeconds = 0): Promise<EnqueuedTask> {
    return asAsync(() => {
      this.faults.check(this.calls, `${this.port}.enqueue`);
      // Through JSON, as the real queue carries it: a task that does not survive that is a bug here too.
      const queued: QueuedTask = {
        task: JSON.parse(JSON.stringify(task)) as DeliveryTask,
        delaySeconds,
        queueMessageId: `q${++this.#next}`,
        popReceipt: `p${this.#next}`,
      };
      this.tasks.push(queued);
      return { queueMessageId: queued.queueMessageId, popReceipt: queued.popReceipt };
    });
  }

  delete(task: EnqueuedTask): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, `${this.port}.delete`);
      const i = this.tasks.findIndex((t) => t.queueMessageId === task.queueMessageId && t.popReceipt === task.popReceipt);
      if (i < 0) throw new Error(`no queued task ${task.queueMessageId}`);
      this.tasks.splice(i, 1);
    });
  }
}

export class FakeIdempotency implements IdempotencyKeys {
  readonly reservations = new Map<string, { reservation: Reservation; etag: string }>();
  #version = 0;

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  reserve(key: string, reservation: Reservation): Promise<ReserveResult> {
    return asAsync(() => {
      this.faults.check(this.calls, 'idempotency.reserve');
      const existing = this.reservations.get(key);
      if (existing) return { reserved: false, existing: { ...existing.reservation }, etag: existing.etag };
      this.reservations.set(key, { reservation: { ...reservation }, etag: `i${++this.#version}` });
      return { reserved: true };
    });
  }

  takeOver(key: string, reservation: Reservation, etag: string): Promise<boolean> {
    return asAsync(() => {
      this.faults.check(this.calls, 'idempotency.takeOver');
      if (this.reservations.get(key)?.etag !== etag) return false;
      this.reservations.set(key, { reservation: { ...reservation }, etag: `i${++this.#version}` });
      return true;
    });
  }

  release(key: string): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'idempotency.release');
      this.reservations.delete(key);
    });
  }
}

/** Answers each send from `replies` in turn (then with the last one); records what it was given. */
export class FakeSmartHost implements SmartHost {
  readonly sent: { envelope: Envelope; raw: Buffer }[] = [];
  replies: SmtpOutcome[] = [{ kind: 'accepted', smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 OK queued' }];
  closed = false;

  constructor(private readonly calls: CallLog) {}

  send(envelope: Envelope, raw: Buffer): Promise<SmtpOutcome> {
    return asAsync(() => {
      this.calls.push('smartHost.send');
      this.sent.push({ envelope: { ...envelope }, raw: Buffer.from(raw) });
      const reply = this.replies.length > 1 ? this.replies.shift() : this.replies[0];
      if (!reply) throw new Error('FakeSmartHost has no reply to give');
      return reply;
    });
  }

  close(): void {
    this.closed = true;
  }
}

/** A settable clock: the use-cases read time only through deps.now. */
export class FakeClock {
  constructor(public current: Date = new Date()) {}

  now = (): Date => new Date(this.current.getTime());

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** Lines logged by a use-case, by level. */
export class FakeLog {
  readonly lines: { level: 'log' | 'warn' | 'error'; message: string }[] = [];
  log = (message: string): void => void this.lines.push({ level: 'log', message });
  warn = (message: string): void => void this.lines.push({ level: 'warn', message });
  error = (message: string): void => void this.lines.push({ level: 'error', message });

  text(): string {
    return this.lines.map((l) => `${l.level}: ${l.message}`).join('\n');
  }
}

export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  RELAY_ALLOWED_SENDER_DOMAINS: 'example.com',
  SMARTHOST_HOST: 'smtp.example.net',
  SMARTHOST_USERNAME: 'relay',
  SMARTHOST_PASSWORD: 'not-a-real-password',
};

/** The metrics as counted, in order. */
export class FakeMetrics implements DeliveryMetrics {
  readonly counted: { outcome: MetricOutcome; destination: string; category?: string }[] = [];
  readonly latencies: { seconds: number; destination: string; outcome: MetricOutcome }[] = [];

  count(outcome: MetricOutcome, labels: { destination: string; category?: string }): void {
    this.counted.push({ outcome, ...labels });
  }

  latency(seconds: number, labels: { destination: string; outcome: MetricOutcome }): void {
    this.latencies.push({ seconds, ...labels });
  }
}

/** The relay's ports, all in memory, with one call log, one set of faults and one clock. */
export class FakeRelay {
  readonly calls: CallLog = [];
  readonly faults = new Faults();
  readonly clock: FakeClock;
  readonly config: RelayConfig;
  readonly deliveries: FakeDeliveryRows;
  readonly events: FakeEvents;
  readonly bodies: FakeBodies;
  readonly queue: FakeQueue;
  readonly poisonQueue: FakeQueue;
  readonly idempotency: FakeIdempotency;
  /** the `default` smart host */
  readonly smartHost: FakeSmartHost;
  /** every smart host by name, `default` included; add others with addSmartHost */
  readonly smartHosts = new Map<string, FakeSmartHost>();
  readonly smartHostHealth: FakeSmartHostHealth;
  readonly suppressions: FakeSuppressions;
  readonly senders: FakeSenders;
  readonly appliedEvents: FakeAppliedEvents;
  readonly messageIndex: FakeMessageIndex;
  readonly poisonTasks: FakePoisonTasks;
  readonly throttles: FakeThrottles;
  readonly suspensions: FakeSuspensions;
  metrics: DeliveryMetrics = new FakeMetrics();

  constructor(settings: Record<string, string> = {}, now?: Date) {
    this.config = loadConfig({ ...TEST_SETTINGS, ...settings });
    this.clock = new FakeClock(now);
    this.deliveries = new FakeDeliveryRows(this.calls, this.faults);
    this.events = new FakeEvents(this.calls, this.faults);
    this.bodies = new FakeBodies(this.calls, this.faults);
    this.queue = new FakeQueue(this.calls, this.faults);
    this.poisonQueue = new FakeQueue(this.calls, this.faults, 'poisonQueue');
    this.idempotency = new FakeIdempotency(this.calls, this.faults);
    this.smartHost = new FakeSmartHost(this.calls);
    this.smartHosts.set('default', this.smartHost);
    this.smartHostHealth = new FakeSmartHostHealth(this.calls, this.faults);
    this.suppressions = new FakeSuppressions(this.calls, this.faults, this.clock.now);
    this.senders = new FakeSenders(this.calls, this.faults, { ...this.config.breaker });
    this.appliedEvents = new FakeAppliedEvents(this.calls, this.faults);
    this.messageIndex = new FakeMessageIndex(this.calls, this.faults);
    this.poisonTasks = new FakePoisonTasks(this.calls, this.faults);
    this.throttles = new FakeThrottles(this.calls, this.faults);
    this.suspensions = new FakeSuspensions(this.calls, this.faults, this.clock.now);
  }

  get deps(): RelayDeps {
    return {
      config: this.config,
      deliveries: this.deliveries,
      events: this.events,
      bodies: this.bodies,
      queue: this.queue,
      poisonQueue: this.poisonQueue,
      idempotency: this.idempotency,
      smartHosts: this.smartHosts,
      smartHostHealth: this.smartHostHealth,
      suppressions: this.suppressions,
      senders: this.senders,
      appliedEvents: this.appliedEvents,
      messageIndex: this.messageIndex,
      poisonTasks: this.poisonTasks,
      throttles: this.throttles,
      suspensions: this.suspensions,
      metrics: this.metrics,
      now: this.clock.now,
    };
  }

  /** A smart host of the policy besides `default`, answering as FakeSmartHost does. */
  addSmartHost(name: string): FakeSmartHost {
    const host = new FakeSmartHost(this.calls);
    this.smartHosts.set(name, host);
    return host;
  }

  /** Makes the next call to `operation` ("deliveries.replace", "queue.enqueue", ...) throw. */
  fail(operation: string, error?: unknown): void {
    this.faults.fail(operation, error);
  }
}
