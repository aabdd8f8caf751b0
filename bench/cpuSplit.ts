// The host process runs two things: the local Functions host (dist/src/local: its HTTP server, route
// and trigger code, its queue listener's GetMessages/DeleteMessage/UpdateMessage calls, invocation
// plumbing), which Azure replaces with its own host, and the functions (dist/functions, the rest of
// dist/src, @azure/functions and the SDKs and nodemailer they call). This splits the busy samples of
// a V8 .cpuprofile between the two. For each sample the project frame nearest the leaf decides: a
// dist/src/local frame makes it plumbing, a function frame function code. A sample with only node's
// own frames is plumbing when it is in node's HTTP server (parsing an incoming request), function
// code otherwise, as are GC and V8 (continuations whose caller the stack no longer shows: so the
// function-code share is an upper bound).
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** µs on the monotonic clock (process.hrtime's) */
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export type Side = 'function code' | 'host plumbing';

export interface CpuSplit {
  /** sampled busy time (not idle) in the window, ms */
  busyMs: number;
  functionShare: number;
  plumbingShare: number;
  /** busy ms by side and category (the package or project area of the first frame that is not node's own) */
  categories: Array<{ side: Side; name: string; ms: number }>;
}

/** The package of a script URL, a project path (dist/…), or null for node internals and native code. */
export function scriptOwner(url: string): string | null {
  if (url === '' || url.startsWith('node:')) return null;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url;
}

const isLocalHost = (owner: string) => owner.startsWith('dist/src/local/');
const isFunctionCode = (owner: string) => owner.startsWith('dist/functions/') || owner.startsWith('dist/src/') || owner === '@azure/functions';

/** Names what a sample's first non-node frame belongs to. */
export function category(owner: string | null): string {
  if (owner === null) return 'node internals, no caller';
  if (owner === '@azure/functions') return '@azure/functions';
  if (/^(@azure\/|@typespec\/|fast-xml-parser|tslib|strnum)/.test(owner)) return 'storage SDK';
  if (owner === 'nodemailer' || owner === 'mailauth' || owner === 'mailparser') return 'nodemailer';
  if (isLocalHost(owner)) return 'local host';
  if (owner.startsWith('dist/')) return 'app code';
  return `other: ${owner}`;
}

const SPECIAL: Record<string, string> = { '(garbage collector)': 'GC', '(program)': 'V8 and native' };

/** Splits the busy samples taken within [fromUs, toUs] (the whole profile without a window). */
export function splitProfile(profile: CpuProfile, window?: { fromUs: number; toUs: number }): CpuSplit {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const verdicts = new Map<number, { side: Side; name: string } | null>();
  const classify = (leafId: number) => {
    if (!verdicts.has(leafId)) verdicts.set(leafId, classifyStack(leafId, byId, parent));
    return verdicts.get(leafId)!;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const totals = new Map<string, { side: Side; name: string; ms: number }>();
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // a sample stands for the time until the next one
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const verdict = classify(samples[i]);
    if (!verdict) continue;
    const key = `${verdict.side}|${verdict.name}`;
    const total = totals.get(key) ?? { ...verdict, ms: 0 };
    total.ms += ms;
    totals.set(key, total);
  }
  const categories = [...totals.values()].sort((a, b) => b.ms - a.ms);
  const busyMs = categories.reduce((sum, c) => sum + c.ms, 0);
  const plumbingMs = categories.filter((c) => c.side === 'host plumbing').reduce((sum, c) => sum + c.ms, 0);
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : NaN);
  return { busyMs, functionShare: share(busyMs - plumbingMs), plumbingShare: share(plumbingMs), categories };
}

function classifyStack(leafId: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): { side: Side; name: string } | null {
  const leaf = byId.get(leafId);
  if (!leaf || leaf.callFrame.functionName === '(idle)') return null;
  const special = SPECIAL[leaf.callFrame.functionName];
  if (special && leaf.callFrame.url === '') return { side: 'function code', name: special };
  let first: string | null | undefined;
  let side: Side | undefined;
  const nodeModules = new Set<string>();
  for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) {
    const url = byId.get(id)?.callFrame.url ?? '';
    if (url.startsWith('node:')) nodeModules.add(url);
    const owner = scriptOwner(url);
    if (owner === null) continue;
    if (first === undefined) first = owner;
    if (isLocalHost(owner)) side ??= 'host plumbing';
    else if (isFunctionCode(owner)) side ??= 'function code';
    if (side) break;
  }
  // no project frame: an asynchronous continuation (an SDK response, a socket event) whose caller is gone
  if (first !== undefined) return side ? { side, name: category(first) } : { side: 'function code', name: `${category(first)}, caller not on the stack` };
  const name = nodeArea(nodeModules);
  return { side: name === 'node HTTP server' ? 'host plumbing' : 'function code', name };
}

/** Names a sample with no frame but node's own by the part of node it is in. */
function nodeArea(modules: ReadonlySet<string>): string {
  const has = (...names: string[]) => names.some((n) => modules.has(`node:${n}`));
  if (has('_http_server')) return 'node HTTP server';
  if (has('_http_client', '_http_agent', '_http_incoming')) return 'node HTTP client';
  if (has('_tls_wrap', 'tls')) return 'node TLS';
  if (has('internal/stream_base_commons', 'net')) return 'node socket I/O';
  return 'node internals, no caller';
}
