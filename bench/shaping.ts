// Traffic shaping (`--shaping`): one destination limited to N/min, passed to every host through
// RELAY_POLICY_JSON. With 1, 2 and 3 hosts sharing the one Azurite and the one sink, a paced load of
// 1.5× the limit; the sink's arrival times say whether the limit held (the busiest 60 s) and how
// close the relay came to it (the rate over the steady part). Then, through the storage meter, the
// transactions a message to that destination costs when it need not wait, and what a hold adds.
import type { RunningAzurite } from '../src/local/azurite';
import { phaseCost, type PhaseCost } from './cost';
import { ApiClient, runClosedLoop, runPaced } from './load';
import { apiMessage } from './messages';
import { clearDeliveryQueue, FUNCTION_KEY, startRelayHost, type RelayHost } from './relayHost';
import type { Sink } from './sink';
import { achievedPerMinute, extraPerHold, shapingPolicy, shapingVerdict, slidingWindowMax, steadyPart, type ShapingVerdict } from './shapingFigures';
import { ratio, round } from './stats';
import { startStorageMeter, type OperationCount, type StorageMeter } from './storageMeter';

/** The recipients' domain; the rule of every run names it, and no other bench message goes there. */
export const SHAPED_DOMAIN = 'bench.example';
const LOAD_FACTOR = 1.5;
const WINDOW_SECONDS = 60;
/** after the load ends, arrivals are still recorded this long (the busiest window may include them) */
const TAIL_SECONDS = 10;
/** the cost stage's held run: slow enough that a backlog must be held, not waited for */
const HELD_PER_MINUTE = 120;

export interface ShapingOptions {
  azurite: RunningAzurite;
  sink: Sink;
  poolSize: number;
  /** the limit, per minute */
  perMinute: number;
  /** load time per instance count */
  seconds: number;
  instances: readonly number[];
  costMessages: number;
  log: (line: string) => void;
}

export interface ShapingRun {
  instances: number;
  loadPerMinute: number;
  seconds: number;
  posted: number;
  /** POSTs that got no 202 */
  refused: number;
  /** the first refusal's error, when there was one */
  firstRefusal?: string;
  /** at the sink by the end of the tail */
  arrived: number;
  /** the part the rate is measured over, seconds from the first arrival */
  steady: { fromSeconds: number; toSeconds: number } | undefined;
  achievedPerMinute: number;
  /** the most arrivals in any 60 s (over the whole run and its tail) */
  busiestWindow: number;
  /** achieved / limit */
  ratio: number;
  verdict: ShapingVerdict;
}

/** A metered backlog under one rule: what its accept and its relay cost per message. */
export interface MeteredRun {
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
}

export interface ShapingCost {
  messages: number;
  /** the same backlog with no rule for its domain: what the rule adds is open − none */
  none: MeteredRun;
  /** a rule with room to spare, so nothing is held */
  open: MeteredRun;
  /** the set limit: all but the first few wait */
  held: MeteredRun;
  /** (held relay's transactions − open relay's per message × messages) / holds */
  extraPerHold: number;
}

export interface ShapingResult {
  perMinute: number;
  domain: string;
  windowSeconds: number;
  runs: ShapingRun[];
  cost?: ShapingCost;
}

export async function measureShaping(options: ShapingOptions): Promise<ShapingResult> {
  const runs: ShapingRun[] = [];
  for (const instances of options.instances) runs.push(await measureRun(options, instances));
  const cost = await measureShapingCost(options);
  return { perMinute: options.perMinute, domain: SHAPED_DOMAIN, windowSeconds: WINDOW_SECONDS, runs, cost };
}

async function startHosts(options: ShapingOptions, count: number, env: { connectionString: string; policy?: string; relay: boolean; label: string }) {
  const hosts: RelayHost[] = [];
  try {
    // one after the other: starting three at once would only fight for the two cores
    for (let i = 0; i < count; i++) {
      hosts.push(
        await startRelayHost({
          storageConnectionString: env.connectionString,
          sink: options.sink,
          poolSize: options.poolSize,
          relayEnabled: env.relay,
          label: `${env.label}, host ${i + 1} of ${count}`,
          extraEnv: env.policy === undefined ? {} : { RELAY_POLICY_JSON: env.policy },
        }),
      );
    }
    return hosts;
  } catch (error) {
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    throw error;
  }
}

async function measureRun(options: ShapingOptions, instances: number): Promise<ShapingRun> {
  const { sink, perMinute, seconds, log } = options;
  // a destination of its own per run: the previous run's reserved slots must not slow this one
  const policy = shapingPolicy(`bench-${instances}-hosts`, SHAPED_DOMAIN, perMinute);
  const hosts = await startHosts(options, instances, { connectionString: options.azurite.connectionString, policy, relay: true, label: 'shaping' });
  const clients = hosts.map((h) => new ApiClient(h.url, FUNCTION_KEY));
  const loadPerMinute = round(perMinute * LOAD_FACTOR, 1);
  try {
    log(`  shaping: ${instances} host(s), ${loadPerMinute}/min for ${seconds} s against a limit of ${perMinute}/min`);
    sink.reset();
    const paced = await runPaced(loadPerMinute / 60, seconds * 1000, (i) =>
      clients[i % clients.length].send(apiMessage(`shaping-${instances}-${i}`, SHAPED_DOMAIN)),
    );
    const loadEndedAt = paced.started + seconds * 1000;
    await new Promise((resolve) => setTimeout(resolve, TAIL_SECONDS * 1000));
    const times = [...sink.arrivalTimes].sort((a, b) => a - b);
    const part = steadyPart(times, Math.min(10_000, seconds * 150), loadEndedAt);
    const achieved = achievedPerMinute(times, part);
    const busiestWindow = slidingWindowMax(times, WINDOW_SECONDS * 1000);
    const first = times[0] ?? 0;
    return {
      instances,
      loadPerMinute,
      seconds,
      posted: Math.floor(seconds * (loadPerMinute / 60)),
      refused: paced.failures.length,
      ...(paced.failures.length > 0 ? { firstRefusal: String(paced.failures[0] instanceof Error ? paced.failures[0].message : paced.failures[0]) } : {}),
      arrived: times.length,
      steady: part && { fromSeconds: round((part.fromMs - first) / 1000), toSeconds: round((part.toMs - first) / 1000) },
      achievedPerMinute: achieved,
      busiestWindow,
      ratio: ratio(achieved, perMinute),
      verdict: shapingVerdict(perMinute, achieved, busiestWindow),
    };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    // what is still waiting would be sent during the next run and count as its arrivals
    await clearDeliveryQueue(options.azurite.connectionString, sink);
  }
}

async function measureShapingCost(options: ShapingOptions): Promise<ShapingCost> {
  const { log } = options;
  const messages = options.costMessages;
  const meter = await startStorageMeter(options.azurite);
  try {
    log(`  shaping cost: a backlog of ${messages} with no rule, through the storage meter`);
    const none = await meteredBacklog(options, meter, 'none', null);
    // Open: a limit 10× the set one, so every slot is at most moments away and no message is held.
    const openPerMinute = Math.max(6000, options.perMinute * 10);
    log(`  shaping cost: a backlog of ${messages} under a ${openPerMinute}/min rule`);
    const open = await meteredBacklog(options, meter, 'open', openPerMinute);
    // Held: slots 0.5 s apart. A relay may wait a few seconds for a near slot in the invocation
    // (no hold); one batch of 16 already reserves 8 s ahead here, so the backlog is held, not waited.
    log(`  shaping cost: a backlog of ${messages} under a ${HELD_PER_MINUTE}/min rule`);
    const held = await meteredBacklog(options, meter, 'held', HELD_PER_MINUTE);
    const heldRelayRequests = held.relay.operations.reduce((sum, o) => sum + o.requests, 0);
    return { messages, none, open, held, extraPerHold: extraPerHold(heldRelayRequests, open.relay.perMessage, messages, held.holds) };
  } finally {
    await meter.stop();
    await clearDeliveryQueue(options.azurite.connectionString, options.sink);
  }
}

/**
 * As the cost stage counts: `costMessages` posted with the relay off (concurrency 8), then relayed
 * by one host until every message is at the sink and every task's queue message is deleted.
 */
async function meteredBacklog(options: ShapingOptions, meter: StorageMeter, run: 'none' | 'open' | 'held', perMinute: number | null): Promise<MeteredRun> {
  const { sink, costMessages: messages } = options;
  const env = {
    connectionString: meter.connectionString,
    policy: perMinute === null ? undefined : shapingPolicy(`bench-cost-${run}`, SHAPED_DOMAIN, perMinute),
  };
  const [acceptHost] = await startHosts(options, 1, { ...env, relay: false, label: `shaping cost, ${run}, accept` });
  const client = new ApiClient(acceptHost.url, FUNCTION_KEY);
  try {
    meter.reset();
    await runClosedLoop(messages, 8, (i) => client.send(apiMessage(`${run}-${i}`, SHAPED_DOMAIN)));
  } finally {
    client.close();
    await acceptHost.stop();
  }
  const accept = meter.snapshot();
  sink.reset();
  meter.reset();
  const [relayHost] = await startHosts(options, 1, { ...env, relay: true, label: `shaping cost, ${run}, relay` });
  try {
    await sink.waitForCount(messages, Math.max(60_000, (messages * 60_000) / (perMinute ?? Infinity) + 60_000));
    // each task's last storage call is its queue message's delete; a held task's requeued copy is one more
    const deadline = Date.now() + 30_000;
    const pending = () => messages + countOf(meter.snapshot(), 'PutMessage') - countOf(meter.snapshot(), 'DeleteMessage');
    while (pending() > 0) {
      if (Date.now() > deadline) throw new Error(`the storage meter still waits for ${pending()} DeleteMessage after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await relayHost.stop();
  }
  const relay = meter.snapshot();
  const times = [...sink.arrivalTimes].sort((a, b) => a - b);
  const arrivalMs = times.length > 1 ? times[times.length - 1] - times[0] : 0;
  const acceptCost = phaseCost(accept, messages);
  const relayCost = phaseCost(relay, messages);
  return {
    perMinute,
    holds: countOf(relay, 'PutMessage'),
    accept: acceptCost,
    relay: relayCost,
    perMessage: round(acceptCost.perMessage + relayCost.perMessage, 2),
    arrivalSeconds: round(arrivalMs / 1000, 1),
    enforced: perMinute === null ? null : arrivalMs >= (((messages - 1) * 60_000) / perMinute) * 0.95,
  };
}

function countOf(operations: readonly OperationCount[], operation: string): number {
  return operations.filter((o) => o.service === 'queue' && o.operation === operation).reduce((sum, o) => sum + o.requests, 0);
}
