// The results file and the Markdown table: machine, versions, each figure, each ratio, each target.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { AcceptRow } from './accept';
import type { CostResult } from './cost';
import { applySplit, cpuSplitTable, type CpuSplitResult } from './cpuSplitStage';
import type { ProfileSummary } from './profile';
import type { DrainResult, EndToEndResult } from './relay';
import { scaleOutTable, type ScaleOutResult } from './scaleOut';
import type { ShapingResult } from './shaping';
import { shapingDetails, shapingRows, shapingTargets } from './shapingReport';
import { ratio } from './stats';
import type { SteadyResult } from './steady';

export interface BenchResults {
  date: string;
  machine: { cpu: string; cores: number; ramGiB: number; os: string };
  versions: Record<string, string>;
  options: Record<string, string | number | boolean>;
  accept?: { rows: AcceptRow[]; rawSdkOperations: string };
  drain?: DrainResult;
  nodemailerDirect?: { messages: number; messagesPerSecond: number; cpuMsPerMessage?: Record<string, number> };
  relayEndToEnd?: EndToEndResult;
  relaySteady?: SteadyResult;
  postfix?: { endToEnd: EndToEndResult; steady: SteadyResult };
  cost?: CostResult;
  /** the host's CPU split into function code and the local host's plumbing (profiled run) */
  cpuSplit?: CpuSplitResult;
  scaleOut?: ScaleOutResult;
  shaping?: ShapingResult;
  targets: Target[];
  /** wall-clock time of each stage */
  stageSeconds?: Record<string, number>;
  profiles?: Array<ProfileSummary & { stage: string }>;
  /** stages that failed, and anything else a reader must know */
  notes: string[];
}

export interface Target {
  figure: string;
  value: number;
  target: string;
  met: boolean;
}

export function machineInfo(): BenchResults['machine'] {
  const release = existsSync('/etc/os-release') ? /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined;
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${release ?? os.type()} (${os.platform()} ${os.release()})`,
  };
}

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function evaluateTargets(r: BenchResults): Target[] {
  const targets: Target[] = [];
  for (const row of r.accept?.rows ?? []) {
    if (row.ratio !== undefined) targets.push({ figure: `accept c=${row.concurrency} vs raw SDK`, value: row.ratio, target: '≥ 0.8×', met: row.ratio >= 0.8 });
  }
  const hostCpu = r.relayEndToEnd?.cpuMsPerMessage?.host;
  const postfixCpu = r.postfix?.endToEnd.cpuMsPerMessage?.postfix;
  if (hostCpu !== undefined && postfixCpu !== undefined) {
    const value = ratio(hostCpu, postfixCpu);
    targets.push({ figure: 'relay host CPU per message vs Postfix', value, target: '≤ 1.0×', met: value <= 1 });
  }
  if (r.relayEndToEnd && r.postfix) {
    const value = ratio(r.relayEndToEnd.messagesPerSecond, r.postfix.endToEnd.messagesPerSecond);
    targets.push({ figure: 'end-to-end throughput vs Postfix', value, target: '≥ 2×', met: value >= 2 });
  }
  if (r.cost) {
    targets.push({ figure: 'storage transactions per message, one rule', value: r.cost.perMessage, target: '≤ 6', met: r.cost.perMessage <= 6 });
    if (r.cost.extraPerHold !== undefined) {
      // no hold seen means the limit was not enforced: nothing to compare, so not met
      const extra = r.cost.extraPerHold;
      targets.push({ figure: 'extra transactions per held recipient', value: extra, target: '≤ 3', met: Number.isFinite(extra) && extra <= 3 });
    }
  }
  if (r.relaySteady && r.postfix) {
    const value = r.relaySteady.latencyMs.p99;
    const bound = r.postfix.steady.latencyMs.p99;
    const complete = r.relaySteady.delivered === r.relaySteady.sent;
    targets.push({ figure: `POST→sink p99 at ${r.relaySteady.ratePerSecond}/s (ms)`, value, target: `≤ Postfix's ${bound}`, met: complete && value <= bound });
  }
  if (r.shaping) targets.push(...shapingTargets(r.shaping));
  return targets;
}

const yes = (met: boolean) => (met ? 'yes' : '**no**');
const n = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : String(x));

export function markdown(r: BenchResults): string {
  const lines: string[] = [];
  const target = (figure: string) => r.targets.find((t) => t.figure.startsWith(figure));
  const targetCells = (t: Target | undefined) => (t ? `${t.target} | ${yes(t.met)}` : '– | –');
  lines.push(`### Relay vs Postfix, ${r.date}`, '');
  lines.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.ramGiB} GiB RAM, ${r.machine.os}`, '');
  lines.push(
    `Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  );
  lines.push(
    `Options: ${Object.entries(r.options)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    '',
  );
  lines.push('| Figure | Relay | Baseline | Ratio | Target | Met |', '| --- | --- | --- | --- | --- | --- |');
  for (const row of r.accept?.rows ?? []) {
    const cell = (t: AcceptRow['relay'] | undefined) => (t ? `${t.requestsPerSecond}/s (p50 ${t.latencyMs.p50} ms, p99 ${t.latencyMs.p99} ms)` : '–');
    lines.push(
      `| Accept, concurrency ${row.concurrency}, ${row.relay.count} POSTs | ${cell(row.relay)} | raw SDK ${cell(row.rawSdk)} | ${n(row.ratio)} | ${targetCells(target(`accept c=${row.concurrency} `))} |`,
    );
  }
  if (r.drain) {
    const direct = r.nodemailerDirect;
    lines.push(
      `| Relay drain, backlog of ${r.drain.messages} (msg/s) | ${r.drain.messagesPerSecond} | nodemailer direct ${n(direct?.messagesPerSecond)} | ${n(direct && ratio(r.drain.messagesPerSecond, direct.messagesPerSecond))} | – | – |`,
    );
    if (r.postfix)
      lines.push(
        `| Relay drain vs Postfix (msg/s) | ${r.drain.messagesPerSecond} | Postfix ${r.postfix.endToEnd.messagesPerSecond} | ${ratio(r.drain.messagesPerSecond, r.postfix.endToEnd.messagesPerSecond)} | – | – |`,
      );
  }
  if (r.relayEndToEnd || r.postfix) {
    const relay = r.relayEndToEnd?.messagesPerSecond;
    const postfix = r.postfix?.endToEnd.messagesPerSecond;
    lines.push(
      `| End to end, ${r.relayEndToEnd?.messages ?? r.postfix?.endToEnd.messages} submitted → at sink (msg/s) | ${n(relay)} | Postfix ${n(postfix)} | ${n(relay !== undefined && postfix !== undefined ? ratio(relay, postfix) : undefined)} | ${targetCells(target('end-to-end'))} |`,
    );
  }
  lines.push(...cpuRows(r, targetCells(target('relay host CPU'))));
  if (r.relaySteady || r.postfix) {
    const cell = (s: SteadyResult | undefined) =>
      s
        ? `p50 ${s.latencyMs.p50}, p95 ${s.latencyMs.p95}, p99 ${s.latencyMs.p99}${s.delivered < s.sent ? ` (${s.sent - s.delivered} of ${s.sent} missing)` : ''}${s.firstMessageMs === undefined ? '' : `; first message ${s.firstMessageMs}`}`
        : '–';
    const steady = r.relaySteady ?? r.postfix?.steady;
    lines.push(
      `| Latency at ${steady?.ratePerSecond}/s for ${steady?.seconds} s after ${steady?.warmupSeconds ?? 0} s of warm-up, hand-over → sink (ms) | ${cell(r.relaySteady)} | Postfix ${cell(r.postfix?.steady)} | – | p99 ${targetCells(target('POST→sink'))} |`,
    );
  }
  if (r.cost) lines.push(...costRows(r.cost, targetCells(target('storage')), targetCells(target('extra transactions'))));
  if (r.shaping) lines.push(...shapingRows(r.shaping, r.targets));
  if (r.cost) {
    lines.push(
      '',
      `Storage operations per message (${r.cost.messages} messages, one recipient each, RELAY_POLICY_JSON ${r.cost.policy}):`,
      '',
      '| Phase | Operation | Per message |',
      '| --- | --- | --- |',
    );
    for (const [phase, cost] of [
      ['accept', r.cost.accept],
      ['relay', r.cost.relay],
    ] as const) {
      for (const o of cost.operations)
        lines.push(
          `| ${phase} | ${o.service} ${o.operation}${o.batchedOperations ? ` (${o.batchedOperations / o.requests} entities each)` : ''} | ${o.perMessage} |`,
        );
    }
    for (const o of r.cost.held?.relay.operations ?? [])
      lines.push(`| held (${r.cost.held!.messages} messages), relay | ${o.service} ${o.operation} | ${o.perMessage} |`);
    for (const o of r.cost.idle.operations) lines.push(`| idle | ${o.service} ${o.operation} | ${o.perSecond}/s |`);
  }
  if (r.shaping) lines.push(...shapingDetails(r.shaping));
  if (r.accept) lines.push('', `Raw-SDK baseline per message: ${r.accept.rawSdkOperations}`);
  lines.push('', ...cpuTable(r));
  if (r.cpuSplit && r.relayEndToEnd?.cpuMsPerMessage?.host !== undefined)
    lines.push(...cpuSplitTable(r.cpuSplit, r.relayEndToEnd.cpuMsPerMessage.host, r.cost));
  if (r.scaleOut) lines.push(...scaleOutTable(r.scaleOut));
  for (const p of r.profiles ?? []) {
    lines.push('', `CPU profile of the host in the ${p.stage} (${p.totalMs} ms): ${p.byPackage.map((b) => `${b.name} ${b.share}%`).join(', ')}`);
    lines.push(
      `  busiest functions: ${p.topFunctions
        .slice(0, 8)
        .map((f) => `${f.name} ${f.share}%`)
        .join('; ')}`,
    );
  }
  if (r.stageSeconds)
    lines.push(
      '',
      `Stage times (s): ${Object.entries(r.stageSeconds)
        .map(([name, s]) => `${name.split(':')[0]} ${s}`)
        .join(', ')}`,
    );
  if (r.notes.length > 0) lines.push('', 'Notes:', ...r.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}

/** CPU ms per message by process: where the time goes. */
function cpuTable(r: BenchResults): string[] {
  const rows: Array<[string, Record<string, number> | undefined]> = [];
  for (const row of r.accept?.rows ?? []) {
    rows.push([`accept c=${row.concurrency}`, row.cpuMsPerMessage.relay]);
    rows.push([`raw SDK c=${row.concurrency}`, row.cpuMsPerMessage.rawSdk]);
  }
  rows.push(['relay drain', r.drain?.cpuMsPerMessage], ['relay end to end', r.relayEndToEnd?.cpuMsPerMessage]);
  rows.push(['nodemailer direct', r.nodemailerDirect?.cpuMsPerMessage], ['Postfix end to end', r.postfix?.endToEnd.cpuMsPerMessage]);
  const present = rows.filter((row): row is [string, Record<string, number>] => row[1] !== undefined);
  if (present.length === 0) return [];
  const columns = ['host', 'azurite', 'postfix', 'bench'];
  const names: Record<string, string> = { host: 'relay host', azurite: 'Azurite', postfix: 'Postfix', bench: 'bench (sink + client)' };
  return [
    'CPU time per message (ms), by process:',
    '',
    `| Stage | ${columns.map((c) => names[c]).join(' | ')} |`,
    `| --- |${columns.map(() => ' --- |').join('')}`,
    ...present.map(([stage, cpu]) => `| ${stage} | ${columns.map((c) => n(cpu[c])).join(' | ')} |`),
  ];
}

/** The relay host's CPU per message next to Postfix's, whole and as function code only. */
function cpuRows(r: BenchResults, cpuTarget: string): string[] {
  const host = r.relayEndToEnd?.cpuMsPerMessage?.host;
  const postfix = r.postfix?.endToEnd.cpuMsPerMessage?.postfix;
  if (host === undefined) return [];
  const versus = (x: number) => (postfix === undefined ? '–' : n(ratio(x, postfix)));
  const rows = [
    `| Relay host CPU per relayed message, end to end (accept + relay, local host included) (ms) | ${n(host)} | Postfix ${n(postfix)} | ${versus(host)} | ${cpuTarget} |`,
  ];
  if (r.cpuSplit) {
    const split = applySplit(r.cpuSplit.split, host);
    rows.push(
      `| Function-code CPU per message, the local host's HTTP and queue plumbing left out (ms) | ${n(split.functionMsPerMessage)} (plumbing ${n(split.plumbingMsPerMessage)}) | Postfix ${n(postfix)} | ${versus(split.functionMsPerMessage)} | – | – |`,
    );
  }
  return rows;
}

/** The cost stage's rows: the target's case (one rule), the same with no rule, what a hold adds, idle polling. */
function costRows(cost: CostResult, perMessageTarget: string, heldTarget: string): string[] {
  const rows = [
    `| Storage transactions per message, suppression, one destination rule and events on (accept + relay) | ${cost.accept.perMessage} + ${cost.relay.perMessage} = ${cost.perMessage} | – | – | ${perMessageTarget} |`,
  ];
  if (cost.noRule)
    rows.push(
      `| Storage transactions per message, no destination rule (accept + relay) | ${cost.noRule.accept.perMessage} + ${cost.noRule.relay.perMessage} = ${cost.noRule.perMessage} | – | – | – | – |`,
    );
  if (cost.held) {
    const none =
      cost.held.holds === 0 ? (cost.held.enforced ? ' (no hold: every slot was waited for in the invocation)' : ' (nothing held: not enforced)') : '';
    rows.push(
      `| Extra transactions per held recipient (${cost.held.holds} holds of ${cost.held.messages}) | ${n(cost.extraPerHold)}${none} | – | – | ${heldTarget} |`,
    );
  }
  rows.push(`| Idle polling, empty queue (requests/s) | ${cost.idle.requestsPerSecond} | – | – | – | – |`);
  return rows;
}
