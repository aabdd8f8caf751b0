// Scale-out: 1, 2 and 3 relay hosts sharing the one Azurite and the one sink. For each count, (a) a
// backlog accepted with the relay off is drained by the hosts together, (b) the same count posted to
// the hosts in turn while they relay (end to end, shallow queue). Each phase reports its rate and the
// CPU per message of each process, plus Azurite's use of its one core and the machine's of all of
// its cores: where the rate stops growing, these say whether Azurite or the machine is the limit.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { RunningAzurite } from '../src/local/azurite';
import { benchCpuMs, cpuMsOf, machineCpuTicks } from './cpu';
import { ApiClient, runClosedLoop } from './load';
import { apiMessage } from './messages';
import { withProgress } from './progress';
import { sinkTimeout } from './relay';
import { clearDeliveryQueue, FUNCTION_KEY, startRelayHost, startRelayHosts, type RelayHost } from './relayHost';
import type { Sink } from './sink';
import { ratePerSecond, round } from './stats';

export interface ScaleOutOptions {
  azurite: RunningAzurite;
  azuritePid: number | undefined;
  sink: Sink;
  poolSize: number;
  instances: readonly number[];
  messages: number;
  concurrency: number;
  log: (line: string) => void;
}

export interface ScaleOutCpu {
  /** CPU ms per message of all relay hosts together, and of each */
  hosts: number;
  perHost: number[];
  azurite: number;
  bench: number;
  /** Azurite's CPU over the phase's wall time, % of one core (it is one Node process) */
  azuriteCorePercent: number;
  /** the whole machine's busy time over the phase's wall time, in cores (of `cores`), other users included */
  machineBusyCores: number;
}

export interface ScaleOutPhase {
  /** messages the figures are over (the drain: those that arrived after the last host listened) */
  messages: number;
  messagesPerSecond: number;
  seconds: number;
  cpuMsPerMessage: ScaleOutCpu;
}

export interface ScaleOutRun {
  instances: number;
  drain: ScaleOutPhase;
  endToEnd: ScaleOutPhase;
}

export interface ScaleOutResult {
  messages: number;
  concurrency: number;
  cores: number;
  runs: ScaleOutRun[];
}

export async function measureScaleOut(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const runs: ScaleOutRun[] = [];
  for (const instances of options.instances) {
    await clearDeliveryQueue(options.azurite.connectionString, options.sink);
    runs.push(await measureRun(options, instances));
  }
  await clearDeliveryQueue(options.azurite.connectionString, options.sink);
  return { messages: options.messages, concurrency: options.concurrency, cores: os.cpus().length, runs };
}

async function measureRun(options: ScaleOutOptions, instances: number): Promise<ScaleOutRun> {
  const { sink, messages, log } = options;
  const settings = { storageConnectionString: options.azurite.connectionString, sink, poolSize: options.poolSize };
  const acceptHost = await startRelayHost({ ...settings, relayEnabled: false, label: `scale-out ${instances}, accept` });
  const acceptClient = new ApiClient(acceptHost.url, FUNCTION_KEY);
  try {
    let posted = 0;
    await withProgress(
      `scale-out ${instances} host(s): backlog`,
      messages,
      'accepted',
      () => posted,
      () => runClosedLoop(messages, options.concurrency, (i) => acceptClient.send(apiMessage(`scale-${instances}-backlog-${i}`)).then(() => void posted++)),
    );
  } finally {
    acceptClient.close();
    await acceptHost.stop();
  }
  log(`  scale-out: ${instances} host(s) drain a backlog of ${messages}, then ${messages} end to end`);
  sink.reset();
  const hosts = await startRelayHosts(instances, { ...settings, relayEnabled: true, label: `scale-out ${instances}` });
  const clients = hosts.map((h) => new ApiClient(h.url, FUNCTION_KEY));
  try {
    // the hosts start one after the other and the first drains meanwhile: measured once all listen
    const window = startWindow(options, hosts);
    const arrivedBefore = sink.count;
    const allUp = performance.now();
    const last = await withProgress(
      `scale-out ${instances} host(s): drain`,
      messages,
      'at the sink',
      () => sink.count,
      () => sink.waitForCount(messages, sinkTimeout(messages)),
    );
    const counted = messages - arrivedBefore;
    const drain = {
      messages: counted,
      messagesPerSecond: ratePerSecond(counted, last - allUp),
      seconds: round((last - allUp) / 1000),
      cpuMsPerMessage: window(counted),
    };

    sink.reset();
    const e2eWindow = startWindow(options, hosts);
    const t0 = performance.now();
    const e2eLast = await withProgress(
      `scale-out ${instances} host(s): end to end`,
      messages,
      'at the sink',
      () => sink.count,
      async () => {
        await runClosedLoop(messages, options.concurrency, (i) => clients[i % clients.length].send(apiMessage(`scale-${instances}-e2e-${i}`)));
        return sink.waitForCount(messages, sinkTimeout(messages));
      },
    );
    const endToEnd = {
      messages,
      messagesPerSecond: ratePerSecond(messages, e2eLast - t0),
      seconds: round((e2eLast - t0) / 1000),
      cpuMsPerMessage: e2eWindow(messages),
    };
    log(`  scale-out: ${instances} host(s): drain ${drain.messagesPerSecond} msg/s, end to end ${endToEnd.messagesPerSecond} msg/s`);
    return { instances, drain, endToEnd };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
  }
}

/** Starts counting CPU by process and for the machine; the returned function gives the figures per message. */
function startWindow(options: ScaleOutOptions, hosts: readonly RelayHost[]): (messages: number) => ScaleOutCpu {
  const hostBefore = hosts.map((h) => cpuMsOf(h.pid));
  const azuriteBefore = cpuMsOf(options.azuritePid);
  const benchBefore = benchCpuMs();
  const machineBefore = machineCpuTicks();
  const started = performance.now();
  return (messages) => {
    const wallMs = performance.now() - started;
    const perHostMs = hosts.map((h, i) => cpuMsOf(h.pid) - hostBefore[i]);
    const azuriteMs = cpuMsOf(options.azuritePid) - azuriteBefore;
    const machine = machineCpuTicks();
    const per = (ms: number) => round(ms / messages, 2);
    const totalTicks = machine.total - machineBefore.total;
    return {
      hosts: per(perHostMs.reduce((sum, ms) => sum + ms, 0)),
      perHost: perHostMs.map(per),
      azurite: per(azuriteMs),
      bench: per(benchCpuMs() - benchBefore),
      azuriteCorePercent: round((azuriteMs / wallMs) * 100, 0),
      machineBusyCores: totalTicks > 0 ? round(((machine.busy - machineBefore.busy) / totalTicks) * os.cpus().length, 2) : NaN,
    };
  };
}

/** The scale-out table of the Markdown report. */
export function scaleOutTable(s: ScaleOutResult): string[] {
  const lines = [
    '',
    `Scale-out: relay hosts sharing one Azurite and one sink, ${s.messages} messages per phase, POST concurrency ${s.concurrency}, ${s.cores} cores:`,
    '',
    '| Hosts | Phase | msg/s | vs 1 host | CPU ms/msg: hosts (each) | Azurite | bench | Azurite, % of one core | Machine busy (cores) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const one = s.runs.find((r) => r.instances === 1);
  for (const run of s.runs) {
    for (const [phase, figures, base] of [
      ['drain', run.drain, one?.drain],
      ['end to end', run.endToEnd, one?.endToEnd],
    ] as const) {
      const c = figures.cpuMsPerMessage;
      const scale = base && base.messagesPerSecond > 0 ? `${round(figures.messagesPerSecond / base.messagesPerSecond, 2)}×` : '–';
      lines.push(
        `| ${run.instances} | ${phase} | ${figures.messagesPerSecond} | ${scale} | ${c.hosts} (${c.perHost.join(', ')}) | ${c.azurite} | ${c.bench} | ${c.azuriteCorePercent} % | ${c.machineBusyCores} of ${s.cores} |`,
      );
    }
  }
  return lines;
}
