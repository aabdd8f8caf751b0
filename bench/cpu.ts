// CPU time by process, read from /proc: what each part (relay host, Azurite, Postfix, the bench's
// own sink and load generator) spent per message. Less sensitive to a busy machine than rates are.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  ppid: number;
  /** own user + system time, ms */
  ownMs: number;
  /** time of children it has waited for, ms */
  childrenMs: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3 of stat); utime is field 14, so index 11 here
  const ticks = (i: number) => Number(fields[i]);
  const toMs = (t: number) => (t * 1000) / CLOCK_TICKS_PER_SECOND;
  return { ppid: ticks(1), ownMs: toMs(ticks(11) + ticks(12)), childrenMs: toMs(ticks(13) + ticks(14)) };
}

function stat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function cpuMsOf(pid: number | undefined): number {
  return pid === undefined ? NaN : (stat(pid)?.ownMs ?? NaN);
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Every direct child of this process whose command line contains `text`. */
export function childPidsMatching(text: string): number[] {
  return allPids().filter((pid) => {
    if (stat(pid)?.ppid !== process.pid) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

/** A Postfix instance: its master (children it reaped included) and the children still running. */
export function postfixCpuMs(masterPidFile: string): number {
  if (!existsSync(masterPidFile)) return NaN;
  const master = Number(readFileSync(masterPidFile, 'utf8').trim());
  const own = stat(master);
  if (!own) return NaN;
  let total = own.ownMs + own.childrenMs;
  for (const pid of allPids()) {
    const s = stat(pid);
    if (s?.ppid === master) total += s.ownMs;
  }
  return total;
}

export type CpuProbes = Record<string, () => number>;

/** Starts counting; the returned function gives the ms each probe's process used since. */
export function startCpuCount(probes: CpuProbes): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(probes).map(([name, probe]) => [name, probe()]));
  return () => Object.fromEntries(Object.entries(probes).map(([name, probe]) => [name, Math.round(probe() - before[name])]));
}

export function benchCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Each process's ms divided by the messages handled, to two decimals. */
export function perMessage(cpuMs: Record<string, number>, messages: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, Math.round((ms / messages) * 100) / 100]));
}

/** Jiffies of the whole machine from the first line of /proc/stat: busy (user to steal) and all. */
export function parseMachineStat(text: string): { busy: number; total: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = text.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + (steal || 0);
  return { busy, total: busy + idle + iowait };
}

export function machineCpuTicks(): { busy: number; total: number } {
  try {
    return parseMachineStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return { busy: NaN, total: NaN };
  }
}
