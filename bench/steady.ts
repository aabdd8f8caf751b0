// Latency at a steady rate: one message every 1/rate seconds for a fixed time (open loop), each
// timed from the moment it is handed over (POST, or SMTP injection into Postfix) to its arrival at
// the sink, matched by its X-Bench-Id. A warm-up at the same rate comes first and is not counted: the
// relay's host is fresh for this stage while Postfix has just relayed the end-to-end backlog, so
// without it one contender's first connections, JIT and caches would be in the other's steady state.
// The warm-up's first message is reported apart, as the cold-start latency.
import { performance } from 'node:perf_hooks';
import { runPaced } from './load';
import { withProgress } from './progress';
import type { Sink } from './sink';
import { summarize, type LatencySummary } from './stats';

export interface SteadyResult {
  ratePerSecond: number;
  seconds: number;
  sent: number;
  /** handed over and seen at the sink */
  delivered: number;
  /** refused at hand-over (no 202 or no 250) */
  failed: number;
  /** hand-over to arrival at the sink, in ms */
  latencyMs: LatencySummary;
  /** the warm-up before it, not counted above (absent: none) */
  warmupSeconds?: number;
  /** the warm-up's first message, hand-over to arrival (ms): a fresh start's latency */
  firstMessageMs?: number;
}

export async function measureSteady(
  sink: Sink,
  label: string,
  ratePerSecond: number,
  seconds: number,
  send: (id: string) => Promise<void>,
  warmupSeconds = 0,
): Promise<SteadyResult> {
  const firstMessageMs = warmupSeconds > 0 ? await warmUp(sink, label, ratePerSecond, warmupSeconds, send) : undefined;
  sink.reset();
  const startedAt = new Map<string, number>();
  const total = Math.floor(seconds * ratePerSecond);
  const { failures } = await withProgress(
    label.replace(/-/g, ' '),
    total,
    'at the sink',
    () => sink.count,
    async () => {
      const paced = await runPaced(ratePerSecond, seconds * 1000, (i) => {
        const id = `${label}-${i}`;
        startedAt.set(id, performance.now());
        return send(id);
      });
      // whatever has not arrived 30 s after the last hand-over counts as not delivered
      await sink.waitForCount(startedAt.size - paced.failures.length, 30_000).catch(() => undefined);
      return paced;
    },
  );
  const latencies: number[] = [];
  for (const [id, t0] of startedAt) {
    const arrived = sink.arrivalOf(id);
    if (arrived !== undefined) latencies.push(arrived - t0);
  }
  return {
    ratePerSecond,
    seconds,
    sent: startedAt.size,
    delivered: latencies.length,
    failed: failures.length,
    latencyMs: summarize(latencies),
    warmupSeconds,
    ...(firstMessageMs === undefined ? {} : { firstMessageMs }),
  };
}

/** The warm-up: the same rate, waited for at the sink; the first message's latency. */
async function warmUp(sink: Sink, label: string, ratePerSecond: number, seconds: number, send: (id: string) => Promise<void>): Promise<number | undefined> {
  sink.reset();
  const first = `${label}-warmup-0`;
  let firstAt = 0;
  const paced = await runPaced(ratePerSecond, seconds * 1000, (i) => {
    if (i === 0) firstAt = performance.now();
    return send(`${label}-warmup-${i}`);
  });
  await sink.waitForCount(Math.floor(seconds * ratePerSecond) - paced.failures.length, 30_000).catch(() => undefined);
  const arrived = sink.arrivalOf(first);
  return arrived === undefined ? undefined : Math.round((arrived - firstAt) * 10) / 10;
}
