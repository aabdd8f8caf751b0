// Traffic shaping (`--shaping`): one destination limited to N/min, passed to every host through
// RELAY_POLICY_JSON. With 1, 2 and 3 hosts sharing the one Azurite and the one sink, a paced load of
// 1.5× the limit; the sink's arrival times say whether the limit held (the busiest 60 s) and how
// close the relay came to it (the rate over the steady part). Then, through the storage meter, the
// transactions a message to that destination costs when it need not wait, and what a hold adds.
import type { RunningAzurite } from '../src/local/azurite';
import { HELD_PER_MINUTE, meteredBacklog, OPEN_PER_MINUTE, type MeteredRun } from './cost';
import { ApiClient, runPaced } from './load';
import { apiMessage } from './messages';
import { withProgress } from './progress';
import { clearDeliveryQueue, FUNCTION_KEY, startRelayHosts } from './relayHost';
import type { Sink } from './sink';
import { achievedPerMinute, extraPerHold, shapingPolicy, shapingVerdict, slidingWindowMax, steadyPart, type ShapingVerdict } from './shapingFigures';
import { ratio, round } from './stats';
import { startStorageMeter } from './storageMeter';

/** The recipients' domain; the rule of every run names it, and no other bench message goes there. */
export const SHAPED_DOMAIN = 'bench.example';
const LOAD_FACTOR = 1.5;
const WINDOW_SECONDS = 60;
/** after the load ends, arrivals are still recorded this long (the busiest window may include them) */
const TAIL_SECONDS = 10;

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

async function measureRun(options: ShapingOptions, instances: number): Promise<ShapingRun> {
  const { sink, perMinute, seconds, log } = options;
  // a destination of its own per run: the previous run's reserved slots must not slow this one
  const policy = shapingPolicy(`bench-${instances}-hosts`, SHAPED_DOMAIN, perMinute);
  const hosts = await startRelayHosts(instances, {
    storageConnectionString: options.azurite.connectionString,
    sink,
    poolSize: options.poolSize,
    relayEnabled: true,
    label: 'shaping',
    extraEnv: { RELAY_POLICY_JSON: policy },
  });
  const clients = hosts.map((h) => new ApiClient(h.url, FUNCTION_KEY));
  const loadPerMinute = round(perMinute * LOAD_FACTOR, 1);
  try {
    log(`  shaping: ${instances} host(s), ${loadPerMinute}/min for ${seconds} s against a limit of ${perMinute}/min`);
    sink.reset();
    const expected = Math.floor(seconds * (loadPerMinute / 60));
    const paced = await withProgress(
      `shaping, ${instances} host(s)`,
      expected,
      'at the sink',
      () => sink.count,
      async () => {
        const paced = await runPaced(loadPerMinute / 60, seconds * 1000, (i) =>
          clients[i % clients.length].send(apiMessage(`shaping-${instances}-${i}`, SHAPED_DOMAIN)),
        );
        await new Promise((resolve) => setTimeout(resolve, TAIL_SECONDS * 1000));
        return paced;
      },
    );
    const loadEndedAt = paced.started + seconds * 1000;
    const times = [...sink.arrivalTimes].sort((a, b) => a - b);
    const part = steadyPart(times, Math.min(10_000, seconds * 150), loadEndedAt);
    const achieved = achievedPerMinute(times, part);
    const busiestWindow = slidingWindowMax(times, WINDOW_SECONDS * 1000);
    const first = times[0] ?? 0;
    return {
      instances,
      loadPerMinute,
      seconds,
      posted: expected,
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
  const run = (name: 'none' | 'open' | 'held', perMinute: number | null) =>
    meteredBacklog({
      ...options,
      meter,
      messages,
      domain: SHAPED_DOMAIN,
      destination: `bench-shaping-cost-${name}`,
      perMinute,
      label: `shaping cost, ${name}`,
    });
  try {
    log(`  shaping cost: a backlog of ${messages} with no rule, through the storage meter`);
    const none = await run('none', null);
    // Open: a limit 10× the set one, so every slot is at most moments away and no message is held.
    const openPerMinute = Math.max(OPEN_PER_MINUTE, options.perMinute * 10);
    log(`  shaping cost: a backlog of ${messages} under a ${openPerMinute}/min rule`);
    const open = await run('open', openPerMinute);
    // Held: a relay may wait a few seconds for a near slot in the invocation (no hold); at this
    // limit one batch already reserves seconds ahead, so the backlog is held, not waited for.
    log(`  shaping cost: a backlog of ${messages} under a ${HELD_PER_MINUTE}/min rule`);
    const held = await run('held', HELD_PER_MINUTE);
    const heldRelayRequests = held.relay.operations.reduce((sum, o) => sum + o.requests, 0);
    return { messages, none, open, held, extraPerHold: extraPerHold(heldRelayRequests, open.relay.perMessage, messages, held.holds) };
  } finally {
    await meter.stop();
    await clearDeliveryQueue(options.azurite.connectionString, options.sink);
  }
}
