// A delivery is an ordered list of small named steps (see DELIVERY_STEPS in ../deliverTask.ts), after
// Postal's outgoing message processor: each step reads what the earlier ones found, adds its own
// part to the state, and either lets the delivery continue or stops it with the reason to log.
import type { SmtpOutcome } from '../../core/delivery';
import type { DeliveryTask } from '../../core/deliveryTask';
import type { RelayDeps, RelayLog } from '../deps';
import type { DeliveryRow, StoredRow, ThrottleLease } from '../ports';
import type { SuppressionEntry } from '../../core/suppression';

/** What the queue says about this delivery of the task (the trigger's metadata). */
export interface QueueDelivery {
  queueMessageId?: string;
  dequeueCount: number;
}

/** One delivery on its way through the steps. */
export interface DeliveryState {
  readonly deps: RelayDeps;
  readonly task: DeliveryTask;
  readonly delivery: QueueDelivery;
  readonly log: RelayLog;
  /** "message <id> to <recipient>": how every log line of this delivery begins */
  readonly label: string;
  /** look up the suppression list: the address's entries, read while the row is read; never rejects */
  suppressions?: Promise<SuppressionEntry[] | { failed: unknown }>;
  /** find the row: the recipient's row as read */
  found?: StoredRow;
  /** decide: when, which attempt, and whether the row must be claimed before the send */
  decidedAt?: Date;
  attempt?: number;
  claim?: boolean;
  /** hold for the warm-up: the moment this attempt was counted against the warm-up caps (a later hold carries it) */
  warmupCountedAt?: Date;
  /** hold for the warm-up: the smart host whose plan that count was under */
  warmupCountedHost?: string;
  /** hold for the rate: the send slot this attempt sends at (policies/holdForRate) */
  slotAt?: Date;
  /** hold for the rate: the smart host whose rate that slot was reserved under (a later hold carries it) */
  slotHost?: string;
  /** take a lease: the concurrency places held for the send, given back after it */
  leases?: ThrottleLease[];
  /** claim: the row as this invocation holds it (the claimed row, or the found one) */
  held?: StoredRow;
  /** read the body: the message; null when it is missing from storage */
  raw?: Buffer | null;
  /**
   * choose the route: the smart hosts to try, in failover order, those cooling off or suspended left
   * out (absent: no route matched, `default` alone, with no failover and no health counted)
   */
  route?: readonly string[];
  /** choose the route: its `warmupOverflow` (policies/holdForWarmup) */
  warmupOverflow?: boolean;
  /** send: the smart host that gave the outcome */
  smartHost?: string;
  /** send: what the smart host said, and when */
  outcome?: SmtpOutcome;
  finishedAt?: Date;
  /** plan the outcome: the row that records it */
  next?: DeliveryRow;
}

export interface StepStop {
  /** logged after the label */
  stop: string;
  level: 'log' | 'warn';
  /** queue the same task again, visible after this many seconds, before stopping */
  recheckInSeconds?: number;
  /** the task to queue instead of the same one (a hold that reserved a send slot) */
  recheckTask?: DeliveryTask;
}

export const CONTINUE = Object.freeze({ continue: true as const });
export type StepResult = typeof CONTINUE | StepStop;

export interface DeliveryStep {
  readonly name: string;
  run(state: DeliveryState): Promise<StepResult> | StepResult;
}

export function isStop(result: StepResult): result is StepStop {
  return 'stop' in result;
}

export function stop(reason: string, level: StepStop['level'] = 'log', recheckInSeconds?: number): StepStop {
  return recheckInSeconds === undefined ? { stop: reason, level } : { stop: reason, level, recheckInSeconds };
}

/** A part of the state an earlier step provides; a step placed before its provider fails loudly. */
export function known<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`delivery step order: ${what} is not known yet`);
  return value;
}

/** The queue handed this task out before, to an invocation that did not finish. */
export function redelivered(state: DeliveryState): boolean {
  return state.delivery.dequeueCount > 1;
}
