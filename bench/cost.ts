// Storage transactions per relayed message, counted by the storage meter. A metered backlog: N
// accepted with the relay switched off, then relayed by one host until every task's queue message is
// deleted. The cost stage runs three: under one destination rule covering the recipients with room to
// spare (the target's case: suppression, a rule and events on), the same with no rule, and a small
// backlog under a slow rule, so that its tasks are held (what a wait adds). Then idle polling with an
// empty queue, reported per second so that it does not hide in the per-message figure.
import type { RunningAzurite } from '../src/local/azurite';
import { ApiClient, runClosedLoop } from './load';
import { apiMessage, RECIPIENT_DOMAIN } from './messages';
import { withProgress } from './progress';
import { FUNCTION_KEY, startRelayHost } from './relayHost';
import { extraPerHold, shapingPolicy } from './shapingFigures';
import type { Sink } from './sink';
import { round } from './stats';
import { startStorageMeter, type OperationCount, type StorageMeter } from './storageMeter';

/** The open rule's limit: high enough that every slot is moments away and nothing is held. */
export const OPEN_PER_MINUTE = 6000;
/** The held run's limit: slots 0.5 s apart, so one batch of 16 reserves 8 s ahead and is held, not waited for. */
export const HELD_PER_MINUTE = 120;

export interface OperationFigure extends OperationCount {
  perMessage: number;
}

export interface PhaseCost {
  /** requests per message, idle polls and start-up requests left out */
  perMessage: number;
  operations: OperationFigure[];
  /** empty GetMessages polls and create-if-missing calls at start-up */
  leftOut: OperationCount[];
}

/** A metered backlog under one rule (or none): what its accept and its relay cost per message. */
export interface MeteredRun {
  messages: number;
  /** the rule's limit; null for the run with no rule */
  perMinute: number | null;
  /** the relay phase's PutMessage requests: a hold requeues its task, a send puts none */
  holds: number;
  accept: PhaseCost;
  relay: PhaseCost;
  /** accept + relay */
  perMessage: number;
  /** first to last arrival at the sink */
  arrivalSeconds: number;
  /** the arrivals were spread as the rule says ((messages − 1) slots, 5 % spared); null with no rule */
  enforced: boolean | null;
  /** what the accept did, in order of first appearance, overhead left out */
  acceptOperations: OperationCount[];
}

export interface CostResult {
  messages: number;
  /** RELAY_POLICY_JSON of the main run */
  policy: string;
  /** the main run: one rule covering the recipients, none held */
  accept: PhaseCost;
  relay: PhaseCost;
  perMessage: number;
  /** the same backlog with no rule: what the rule adds is perMessage − noRule.perMessage */
  noRule?: MeteredRun;
  /** a small backlog under a HELD_PER_MINUTE rule */
  held?: MeteredRun;
  /** (held relay's transactions − the main relay's per message × held messages) / holds */
  extraPerHold?: number;
  idle: { seconds: number; requestsPerSecond: number; operations: Array<OperationCount & { perSecond: number }> };
  /** what the accept did, in order, for the raw-SDK baseline to repeat */
  acceptOperations: OperationCount[];
}

export interface CostOptions {
  azurite: RunningAzurite;
  sink: Sink;
  poolSize: number;
  messages: number;
  /** the held run's backlog (each takes 0.5 s at HELD_PER_MINUTE) */
  heldMessages: number;
  idleSeconds: number;
  log: (line: string) => void;
}

export function isOverhead(operation: string): boolean {
  return operation === 'GetMessages (empty)' || /^Create(Queue|Table|Container)$/.test(operation);
}

export function phaseCost(operations: OperationCount[], messages: number): PhaseCost {
  const counted = operations.filter((o) => !isOverhead(o.operation));
  const total = counted.reduce((sum, o) => sum + o.requests, 0);
  return {
    perMessage: round(total / messages, 2),
    operations: counted.map((o) => ({ ...o, perMessage: round(o.requests / messages, 2) })),
    leftOut: operations.filter((o) => isOverhead(o.operation)),
  };
}

export async function measureCost(options: CostOptions): Promise<CostResult> {
  const { messages, log } = options;
  const meter = await startStorageMeter(options.azurite);
  const run = (name: string, count: number, perMinute: number | null, whileRelayUp?: () => Promise<void>) =>
    meteredBacklog({
      ...options,
      meter,
      messages: count,
      domain: RECIPIENT_DOMAIN,
      destination: `bench-cost-${name}`,
      perMinute,
      label: `cost, ${name}`,
      whileRelayUp,
    });
  try {
    const policy = shapingPolicy('bench-cost-open', RECIPIENT_DOMAIN, OPEN_PER_MINUTE);
    log(`  cost: a backlog of ${messages} under a ${OPEN_PER_MINUTE}/min rule for ${RECIPIENT_DOMAIN}, then idle polling for ${options.idleSeconds} s`);
    let idle: CostResult['idle'] | undefined;
    const main = await run('open', messages, OPEN_PER_MINUTE, async () => {
      idle = await measureIdle(meter, options.idleSeconds);
    });
    log(`  cost: the same backlog with no rule`);
    const noRule = await run('none', messages, null);
    log(`  cost: a backlog of ${options.heldMessages} under a ${HELD_PER_MINUTE}/min rule (held)`);
    const held = await run('held', options.heldMessages, HELD_PER_MINUTE);
    const heldRelayRequests = held.relay.operations.reduce((sum, o) => sum + o.requests, 0);
    return {
      messages,
      policy,
      accept: main.accept,
      relay: main.relay,
      perMessage: main.perMessage,
      noRule,
      held,
      extraPerHold: extraPerHold(heldRelayRequests, main.relay.perMessage, held.messages, held.holds),
      idle: idle!,
      acceptOperations: main.acceptOperations,
    };
  } finally {
    await meter.stop();
  }
}

async function measureIdle(meter: StorageMeter, seconds: number): Promise<CostResult['idle']> {
  // the listeners back off to host.json maxPollingInterval (2 s) within about 4 s of an empty queue
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  meter.reset();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const operations = meter.snapshot();
  const total = operations.reduce((sum, o) => sum + o.requests, 0);
  return {
    seconds,
    requestsPerSecond: round(total / seconds, 2),
    operations: operations.map((o) => ({ ...o, perSecond: round(o.requests / seconds, 2) })),
  };
}

export interface MeteredBacklogOptions {
  meter: StorageMeter;
  sink: Sink;
  poolSize: number;
  messages: number;
  /** the recipients' domain */
  domain: string;
  /** the rule's destination name: one of its own per run, so one run's reserved slots do not slow the next */
  destination: string;
  /** the rule's limit; null: no rule */
  perMinute: number | null;
  /** names the hosts, the bench ids and the progress line */
  label: string;
  /** runs after the backlog is relayed, while the relay host still runs (the idle measurement) */
  whileRelayUp?: () => Promise<void>;
}

/**
 * `messages` posted with the relay off (concurrency 8), then relayed by one host until every message
 * is at the sink and every task's queue message is deleted.
 */
export async function meteredBacklog(options: MeteredBacklogOptions): Promise<MeteredRun> {
  const { sink, meter, messages, perMinute, label } = options;
  const policy = perMinute === null ? undefined : shapingPolicy(options.destination, options.domain, perMinute);
  const start = (relayEnabled: boolean) =>
    startRelayHost({
      storageConnectionString: meter.connectionString,
      sink,
      poolSize: options.poolSize,
      relayEnabled,
      label: `${label}, ${relayEnabled ? 'relay' : 'accept'}`,
      extraEnv: policy === undefined ? {} : { RELAY_POLICY_JSON: policy },
    });
  const acceptHost = await start(false);
  const client = new ApiClient(acceptHost.url, FUNCTION_KEY);
  const prefix = label.replace(/\W+/g, '-');
  try {
    meter.reset();
    let posted = 0;
    await withProgress(
      `${label}: accept`,
      messages,
      'accepted',
      () => posted,
      () => runClosedLoop(messages, 8, (i) => client.send(apiMessage(`${prefix}-${i}`, options.domain)).then(() => void posted++)),
    );
  } finally {
    client.close();
    await acceptHost.stop();
  }
  const accept = meter.snapshot();
  sink.reset();
  meter.reset();
  const relayHost = await start(true);
  let relay: OperationCount[];
  try {
    await withProgress(
      `${label}: relay`,
      messages,
      'at the sink',
      () => sink.count,
      async () => {
        await sink.waitForCount(messages, Math.max(60_000, (messages * 60_000) / (perMinute ?? Infinity) + 60_000));
        // each task's last storage call is its queue message's delete; a held task's requeued copy is one more
        const deadline = Date.now() + 30_000;
        const pending = () => messages + queueCount(meter.snapshot(), 'PutMessage') - queueCount(meter.snapshot(), 'DeleteMessage');
        while (pending() > 0) {
          if (Date.now() > deadline) throw new Error(`the storage meter still waits for ${pending()} DeleteMessage after 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    );
    relay = meter.snapshot();
    await options.whileRelayUp?.();
  } finally {
    await relayHost.stop();
  }
  const times = [...sink.arrivalTimes].sort((a, b) => a - b);
  const arrivalMs = times.length > 1 ? times[times.length - 1] - times[0] : 0;
  const acceptCost = phaseCost(accept, messages);
  const relayCost = phaseCost(relay, messages);
  return {
    messages,
    perMinute,
    holds: queueCount(relay, 'PutMessage'),
    accept: acceptCost,
    relay: relayCost,
    perMessage: round(acceptCost.perMessage + relayCost.perMessage, 2),
    arrivalSeconds: round(arrivalMs / 1000, 1),
    enforced: perMinute === null ? null : arrivalMs >= (((messages - 1) * 60_000) / perMinute) * 0.95,
    acceptOperations: accept.filter((o) => !isOverhead(o.operation)).sort((a, b) => a.firstSeen - b.firstSeen),
  };
}

function queueCount(operations: readonly OperationCount[], operation: string): number {
  return operations.filter((o) => o.service === 'queue' && o.operation === operation).reduce((sum, o) => sum + o.requests, 0);
}
