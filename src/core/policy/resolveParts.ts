// The pieces resolve.ts and resolveRules.ts share: the problem list, type guards for input the
// schema may have refused, and the rate and duration values that appear all over the file.
import { parseDuration, parseRate } from './parse';
import type { RateWindow } from './types';

export interface PolicyProblem {
  /** JSON pointer into the file: /destinations/docomo/rate/0 */
  path: string;
  problem: string;
}

export type Json = Record<string, unknown>;

/** The entry of a table by its own key only: a file's "constructor" is no preset. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A key as one step of a JSON pointer (RFC 6901). */
export function step(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems found while resolving, each at its path. */
export class Problems {
  readonly list: PolicyProblem[] = [];
  add(path: string, problem: string): void {
    this.list.push({ path, problem });
  }
}

export interface BuiltIns {
  destinations: boolean;
  reactions: boolean;
}

export function builtInsOf(root: Json): BuiltIns {
  const flag = root.builtIn;
  if (flag === false) return { destinations: false, reactions: false };
  const part = isObject(flag) ? flag : {};
  return { destinations: part.destinations !== false, reactions: part.reactions !== false };
}

export function resolveRate(value: unknown, path: string, problems: Problems): RateWindow[] {
  if (value === undefined) return [];
  const texts = typeof value === 'string' ? [[path, value] as const] : Array.isArray(value) ? value.map((v, i) => [`${path}/${i}`, v] as const) : [];
  const windows: RateWindow[] = [];
  for (const [at, text] of texts) {
    if (typeof text !== 'string') continue;
    const parsed = parseRate(text);
    if (parsed.ok) windows.push(parsed.value);
    else problems.add(at, parsed.problem);
  }
  return windows;
}

export function duration(value: unknown, path: string, problems: Problems): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const parsed = parseDuration(value);
  if (parsed.ok) return parsed.value;
  problems.add(path, parsed.problem);
  return undefined;
}
