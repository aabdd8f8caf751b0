// What the relay's use-cases need, bundled so that functions/ passes one thing. Every member but the
// settings is a port (./ports): src/runtime.ts wires the storage and SMTP adapters in, and the unit
// tests wire in the in-memory fakes of test/support/fakes.ts.
import type { RelayConfig } from '../config';
import type {
  AppliedEvents,
  DeliveryMetrics,
  DeliveryEvents,
  DeliveryRows,
  IdempotencyKeys,
  MessageBodies,
  MessageIndex,
  PoisonTasks,
  SenderReputation,
  SmartHostHealth,
  SmartHosts,
  Suppressions,
  Suspensions,
  TaskQueue,
  Throttles,
} from './ports';

export interface RelayDeps {
  config: RelayConfig;
  deliveries: DeliveryRows;
  events: DeliveryEvents;
  bodies: MessageBodies;
  queue: TaskQueue;
  /** `<queue>-poison`: recordPoison puts a task back there when storage stays down while it records it */
  poisonQueue: TaskQueue;
  idempotency: IdempotencyKeys;
  suppressions: Suppressions;
  senders: SenderReputation;
  /** upstream event ids applied already (the idempotency table, see storage/appliedEventStore) */
  appliedEvents: AppliedEvents;
  /** by policy name; `default` is the SMARTHOST_* one */
  smartHosts: SmartHosts;
  /** failures and cool-offs of the smart hosts, shared by every instance */
  smartHostHealth: SmartHostHealth;
  /** accepted messages by the hour, for the operators' list */
  messageIndex: MessageIndex;
  /** the tasks recordPoison gave up on, for the operators to put back */
  poisonTasks: PoisonTasks;
  /** rate slots and in-flight leases of the delivery policy, shared by every instance */
  throttles: Throttles;
  /** suspended or slowed destinations and smart hosts */
  suspensions: Suspensions;
  /** delivery counters and latency (OpenTelemetry) */
  metrics: DeliveryMetrics;
  now: () => Date;
}

/** The invocation's logger (InvocationContext in Azure); one line per state change, never a body or secret. */
export interface RelayLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
