// Relay throughput: a backlog drained by the relay, the same messages sent by nodemailer straight
// to the sink with the same pool size (the floor of what any relay built on nodemailer can do), and
// the end-to-end figure: N posted at concurrency 32 while the relay runs, until N are at the sink.
import nodemailer from 'nodemailer';
import { performance } from 'node:perf_hooks';
import { benchCpuMs, perMessage, startCpuCount } from './cpu';
import { ApiClient, runClosedLoop } from './load';
import { apiMessage, mailOptions } from './messages';
import { withProgress } from './progress';
import { FUNCTION_KEY, type RelayHost } from './relayHost';
import type { Sink } from './sink';
import { ratePerSecond, round } from './stats';

export interface DrainResult {
  messages: number;
  /** (N − 1) / (time from the first to the last arrival at the sink) */
  messagesPerSecond: number;
  /** N / (time from spawning the host to the last arrival), start-up included */
  fromStartPerSecond: number;
  hostStartupMs: number;
  /** CPU ms per message by process */
  cpuMsPerMessage?: Record<string, number>;
}

export interface EndToEndResult {
  messages: number;
  /** N / (time from the first POST or SMTP injection to the N-th arrival at the sink) */
  messagesPerSecond: number;
  /** how fast the N were handed over (202s, or 250s from Postfix) */
  submittedPerSecond: number;
  cpuMsPerMessage?: Record<string, number>;
}

export function sinkTimeout(messages: number): number {
  return Math.max(60_000, messages * 100);
}

/** Rate over the span of arrivals, which leaves out connection set-up and start-up. */
export function arrivalRate(arrivals: readonly number[], messages: number): number {
  return messages > 1 ? ratePerSecond(messages - 1, arrivals[messages - 1] - arrivals[0]) : NaN;
}

export async function measureDrain(sink: Sink, messages: number, startHost: () => Promise<RelayHost>): Promise<{ result: DrainResult; host: RelayHost }> {
  sink.reset();
  const t0 = performance.now();
  const host = await startHost();
  const last = await withProgress(
    'relay drain',
    messages,
    'at the sink',
    () => sink.count,
    () => sink.waitForCount(messages, sinkTimeout(messages)),
  );
  return {
    host,
    result: {
      messages,
      messagesPerSecond: arrivalRate(sink.arrivalTimes, messages),
      fromStartPerSecond: ratePerSecond(messages, last - t0),
      hostStartupMs: host.startupMs,
    },
  };
}

export async function measureNodemailerDirect(
  sink: Sink,
  messages: number,
  poolSize: number,
): Promise<{ messages: number; messagesPerSecond: number; cpuMsPerMessage: Record<string, number> }> {
  const transport = nodemailer.createTransport({
    pool: true,
    host: sink.smtp.host,
    port: sink.smtp.port,
    requireTLS: true,
    tls: { ca: [sink.smtp.caPem], rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    auth: { user: sink.username, pass: sink.password },
    maxConnections: poolSize,
    maxMessages: 100, // as the relay's transport (src/smtp/smartHost.ts)
    logger: false,
  });
  try {
    sink.reset();
    const cpu = startCpuCount({ bench: benchCpuMs });
    await Promise.all(Array.from({ length: messages }, (_, i) => transport.sendMail(mailOptions(`direct-${i}`))));
    await sink.waitForCount(messages, sinkTimeout(messages));
    return { messages, messagesPerSecond: arrivalRate(sink.arrivalTimes, messages), cpuMsPerMessage: perMessage(cpu(), messages) };
  } finally {
    transport.close();
  }
}

/**
 * A few messages through a contender before its end-to-end figure is taken, waited for at the sink
 * and not counted: a fresh host's first connections, JIT and caches are start-up, not per-message
 * work (with 300 messages they were about 1 ms of the host's CPU per message). Postfix gets the same.
 */
/** The warm-up's size for an end-to-end count: a tenth of it, at most 50. */
export function warmupCount(messages: number): number {
  return Math.min(50, Math.floor(messages / 10));
}

export async function warmUpEndToEnd(sink: Sink, count: number, concurrency: number, send: (id: string) => Promise<void>, prefix: string): Promise<void> {
  if (count <= 0) return;
  sink.reset();
  await runClosedLoop(count, concurrency, (i) => send(`${prefix}-warmup-${i}`));
  await sink.waitForCount(count, sinkTimeout(count));
}

export async function measureRelayEndToEnd(sink: Sink, host: RelayHost, messages: number, concurrency: number, idPrefix = 'e2e'): Promise<EndToEndResult> {
  const client = new ApiClient(host.url, FUNCTION_KEY);
  try {
    sink.reset();
    const t0 = performance.now();
    const { posted, last } = await withProgress(
      idPrefix === 'e2e' ? 'relay end to end' : `relay end to end (${idPrefix})`,
      messages,
      'at the sink',
      () => sink.count,
      async () => {
        const posted = await runClosedLoop(messages, concurrency, (i) => client.send(apiMessage(`${idPrefix}-${i}`)));
        return { posted, last: await sink.waitForCount(messages, sinkTimeout(messages)) };
      },
    );
    return { messages, messagesPerSecond: ratePerSecond(messages, last - t0), submittedPerSecond: round((messages * 1000) / posted.elapsedMs) };
  } finally {
    client.close();
  }
}
