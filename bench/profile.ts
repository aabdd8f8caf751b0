// Where the host's CPU time went: a summary of the V8 .cpuprofile files written with --cpu-prof
// (self time by package or project file, and the busiest functions).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  file: string;
  pid: number;
  totalMs: number;
  byPackage: Array<{ name: string; ms: number; share: number }>;
  topFunctions: Array<{ name: string; ms: number; share: number }>;
}

/** Groups a script URL: a dependency by package name, node internals, or a project file. */
export function ownerOf(url: string): string {
  if (url === '') return '(native, GC, idle)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : path.basename(url);
}

export function summarizeProfile(file: string, profile: CpuProfile, top = 12): ProfileSummary {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const samples = profile.samples?.length || profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const msPerSample = samples > 0 ? totalMs / samples : 0;
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * msPerSample;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const owner = ['(idle)', '(program)', '(garbage collector)'].includes(functionName) ? functionName : ownerOf(url);
    packages.set(owner, (packages.get(owner) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${url ? `${ownerOf(url)}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / totalMs) * 1000) / 10 }));
  const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1] ?? NaN);
  return { file, pid, totalMs: Math.round(totalMs), byPackage: rank(packages), topFunctions: rank(functions) };
}

export function summarizeProfiles(dir: string): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeProfile(f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile));
}
