// Accept: POST /api/v1/messages through the local host, at several concurrencies, with the relay
// switched off so the messages stay queued (they are the backlog the drain stage relays). Each
// concurrency is followed by the raw-SDK baseline at the same concurrency, so that both see the
// same machine load. Messages before and after the measured runs fill the backlog up to N.
import { benchCpuMs, cpuMsOf, perMessage, startCpuCount } from './cpu';
import { ApiClient, runClosedLoop, type ClosedLoopResult } from './load';
import { apiMessage } from './messages';
import { FUNCTION_KEY, startRelayHost } from './relayHost';
import type { Sink } from './sink';
import { ratePerSecond, ratio, summarize, type LatencySummary } from './stats';

export interface Throughput {
  count: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
}

export interface AcceptRow {
  concurrency: number;
  relay: Throughput;
  rawSdk?: Throughput;
  /** relay / raw SDK */
  ratio?: number;
  /** CPU ms per message by process, for the relay's run and the raw SDK's */
  cpuMsPerMessage: { relay: Record<string, number>; rawSdk?: Record<string, number> };
}

export interface AcceptOptions {
  storageConnectionString: string;
  sink: Sink;
  poolSize: number;
  /** total messages left queued: the drain stage's backlog */
  backlog: number;
  countPerConcurrency: number;
  concurrencies: readonly number[];
  warmup: number;
  /** the raw-SDK baseline for one message, when it could be built */
  rawSdk?: (id: string) => Promise<void>;
  azuritePid?: number;
  log: (line: string) => void;
}

export function throughput(result: ClosedLoopResult): Throughput {
  return {
    count: result.latencies.length,
    requestsPerSecond: ratePerSecond(result.latencies.length, result.elapsedMs),
    latencyMs: summarize(result.latencies),
  };
}

export async function measureAccept(options: AcceptOptions): Promise<AcceptRow[]> {
  const { countPerConcurrency: count, rawSdk, log } = options;
  const host = await startRelayHost({
    storageConnectionString: options.storageConnectionString,
    sink: options.sink,
    poolSize: options.poolSize,
    relayEnabled: false,
    label: 'accept stage',
  });
  const client = new ApiClient(host.url, FUNCTION_KEY);
  const rows: AcceptRow[] = [];
  let posted = 0;
  const post = (n: number, concurrency: number, label: string) =>
    runClosedLoop(n, concurrency, (i) => client.send(apiMessage(`${label}-${i}`))).then((result) => {
      posted += n;
      return result;
    });
  try {
    await post(options.warmup, 8, 'accept-warmup');
    if (rawSdk) await runClosedLoop(options.warmup, 8, (i) => rawSdk(`raw-warmup-${i}`));
    const probes = { host: () => cpuMsOf(host.pid), azurite: () => cpuMsOf(options.azuritePid), bench: benchCpuMs };
    for (const concurrency of options.concurrencies) {
      let cpu = startCpuCount(probes);
      const relay = throughput(await post(count, concurrency, `accept-c${concurrency}`));
      const relayCpu = perMessage(cpu(), count);
      cpu = startCpuCount(probes);
      const raw = rawSdk ? throughput(await runClosedLoop(count, concurrency, (i) => rawSdk(`raw-c${concurrency}-${i}`))) : undefined;
      const rawCpu = raw ? perMessage(cpu(), count) : undefined;
      rows.push({
        concurrency,
        relay,
        rawSdk: raw,
        ratio: raw ? ratio(relay.requestsPerSecond, raw.requestsPerSecond) : undefined,
        cpuMsPerMessage: { relay: relayCpu, rawSdk: rawCpu },
      });
      log(`  accept c=${concurrency}: ${relay.requestsPerSecond}/s${raw ? `, raw SDK ${raw.requestsPerSecond}/s` : ''}`);
    }
    if (posted < options.backlog) await post(options.backlog - posted, 32, 'accept-fill');
    return rows;
  } finally {
    client.close();
    await host.stop();
  }
}
