// The CPU split stage: a short end-to-end run against a host started under --cpu-prof, its profile
// split into function code and the local host's plumbing (bench/cpuSplit.ts) over the run's window
// only (start-up and shutdown left out), then scaled to the unprofiled end-to-end stage's CPU per
// message, since a profiler slows what it measures.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningAzurite } from '../src/local/azurite';
import type { CostResult } from './cost';
import { splitProfile, type CpuProfile, type CpuSplit, type Side } from './cpuSplit';
import { measureRelayEndToEnd } from './relay';
import { startRelayHost, type RelayHost } from './relayHost';
import type { Sink } from './sink';
import { round } from './stats';

export interface CpuSplitOptions {
  azurite: RunningAzurite;
  sink: Sink;
  poolSize: number;
  messages: number;
  concurrency: number;
  /** where the profile is kept */
  profilesDir: string;
}

export interface CpuSplitResult {
  messages: number;
  /** the profiled run's rate: lower than the unprofiled one (the profiler's own cost) */
  messagesPerSecond: number;
  /** kept for Chrome DevTools (bench/results/profiles is git-ignored) */
  profileFile: string;
  /** the run's window on the monotonic clock (µs), to split the kept profile again */
  window: { fromUs: number; toUs: number };
  split: CpuSplit;
}

/** The split applied to a host CPU figure per message (from /proc, unprofiled). */
export interface CpuSplitFigures {
  hostMsPerMessage: number;
  functionMsPerMessage: number;
  plumbingMsPerMessage: number;
  functionShare: number;
  categories: Array<{ side: Side; name: string; msPerMessage: number }>;
}

const now = () => Number(process.hrtime.bigint() / 1000n);

export async function measureCpuSplit(options: CpuSplitOptions): Promise<CpuSplitResult> {
  // With --profile the bench already runs under --cpu-prof and the host inherits it; otherwise the
  // flags are added for this one host (fork passes process.execArgv on at the time of the call).
  const inherited = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='))?.slice('--cpu-prof-dir='.length);
  const dir = inherited ?? path.join(options.profilesDir, `cpu-split-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  const execArgv = process.execArgv.slice();
  let host: RelayHost;
  try {
    if (!inherited) process.execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    host = await startRelayHost({
      storageConnectionString: options.azurite.connectionString,
      sink: options.sink,
      poolSize: options.poolSize,
      relayEnabled: true,
      label: 'CPU split stage (profiled)',
    });
  } finally {
    process.execArgv.splice(0, process.execArgv.length, ...execArgv);
  }
  try {
    const fromUs = now();
    const run = await measureRelayEndToEnd(options.sink, host, options.messages, options.concurrency, 'cpu-split');
    const toUs = now();
    await host.stop(); // the profile is written as the host exits
    const file = readdirSync(dir).find((f) => f.includes(`.${host.pid}.`) && f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`the profiled host (pid ${host.pid}) wrote no .cpuprofile into ${dir}`);
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    return {
      messages: options.messages,
      messagesPerSecond: run.messagesPerSecond,
      profileFile: path.join(dir, file),
      window: { fromUs, toUs },
      split: splitProfile(profile, { fromUs, toUs }),
    };
  } finally {
    await host.stop().catch(() => undefined);
  }
}

/** Kernel time is not sampled: it is apportioned as the sampled time is. */
export function applySplit(split: CpuSplit, hostMsPerMessage: number): CpuSplitFigures {
  const per = (ms: number) => round((hostMsPerMessage * ms) / split.busyMs, 2);
  return {
    hostMsPerMessage,
    functionMsPerMessage: round(hostMsPerMessage * split.functionShare, 2),
    plumbingMsPerMessage: round(hostMsPerMessage * split.plumbingShare, 2),
    functionShare: round(split.functionShare * 100, 1),
    categories: split.categories.map((c) => ({ side: c.side, name: c.name, msPerMessage: per(c.ms) })),
  };
}

/** Categories of storage calls' continuations whose caller is gone: the functions' or the listener's. */
const STORAGE_CONTINUATIONS = ['storage SDK, caller not on the stack', 'node HTTP client'];
/** The local listener's own queue operations (the functions never make these). */
const LISTENER_OPERATIONS = ['GetMessages', 'DeleteMessage', 'UpdateMessage'];

/** The listener's share of the storage requests per message, from the cost stage's counts. */
export function listenerShare(cost: Pick<CostResult, 'relay' | 'perMessage'>): number {
  const listener = cost.relay.operations
    .filter((o) => o.service === 'queue' && LISTENER_OPERATIONS.includes(o.operation))
    .reduce((sum, o) => sum + o.perMessage, 0);
  return cost.perMessage > 0 ? listener / cost.perMessage : NaN;
}

/** The split's table: each side and its categories, in ms per message of the unprofiled host. */
export function cpuSplitTable(result: CpuSplitResult, hostMsPerMessage: number, cost?: CostResult): string[] {
  const figures = applySplit(result.split, hostMsPerMessage);
  const rows = (side: Side) => figures.categories.filter((c) => c.side === side && c.msPerMessage >= 0.01);
  const lines = [
    '',
    `Relay host CPU per message split (profiled end-to-end run of ${result.messages}, ${result.messagesPerSecond} msg/s; shares applied to the unprofiled ${hostMsPerMessage} ms): function code ${figures.functionMsPerMessage} ms (${figures.functionShare} %), local host plumbing ${figures.plumbingMsPerMessage} ms (${round(100 - figures.functionShare, 1)} %)`,
    '',
    '| Side | Category | ms/msg |',
    '| --- | --- | --- |',
    ...(['function code', 'host plumbing'] as const).flatMap((side) => rows(side).map((c) => `| ${side} | ${c.name} | ${c.msPerMessage} |`)),
  ];
  const continuations = figures.categories
    .filter((c) => c.side === 'function code' && STORAGE_CONTINUATIONS.includes(c.name))
    .reduce((sum, c) => sum + c.msPerMessage, 0);
  const share = cost ? listenerShare(cost) : NaN;
  if (continuations > 0 && Number.isFinite(share)) {
    const moved = continuations * share;
    lines.push(
      '',
      `Storage calls' continuations with no caller on the stack (${round(continuations, 2)} ms) count as function code above. ` +
        `Spread by the listener's share of the storage requests per message in the cost stage (${round(share * 100, 1)} %), ` +
        `function code would be ${round(figures.functionMsPerMessage - moved, 2)} ms and plumbing ${round(figures.plumbingMsPerMessage + moved, 2)} ms.`,
    );
  }
  return lines;
}
