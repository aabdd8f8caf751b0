// The Functions host's three kinds of keys, as its key authentication handler resolves them: the
// master key is the only one that opens authLevel "admin" (and opens everything else); a host key
// opens every "function" level function; a function key opens its own function only. "anonymous"
// needs none. The key comes from the x-functions-key header, else from the "code" query parameter.
// Locally: RELAY_LOCAL_ADMIN_KEY is the master key, RELAY_LOCAL_FUNCTION_KEY the default host key,
// and RELAY_LOCAL_FUNCTION_KEYS a JSON object of function name to key (or array of keys).
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HostKeySettings {
  /** RELAY_LOCAL_ADMIN_KEY */
  masterKey?: string;
  /** RELAY_LOCAL_FUNCTION_KEY */
  hostKeys: readonly string[];
  /** RELAY_LOCAL_FUNCTION_KEYS, parsed */
  functionKeys: ReadonlyMap<string, readonly string[]>;
}

/** Parses RELAY_LOCAL_FUNCTION_KEYS; throws naming the setting when it is not an object of names to keys. */
export function parseFunctionKeys(text: string | undefined): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  if (text === undefined || text.trim() === '') return keys;
  const problem = 'RELAY_LOCAL_FUNCTION_KEYS must be a JSON object of function names to a key or an array of keys, e.g. {"sendMessage": "key-1"}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${problem}; it is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(problem);
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((key) => typeof key !== 'string' || key.trim() === ''))
      throw new Error(`${problem}; the keys of "${name}" are not non-empty strings`);
    keys.set(name, list as string[]);
  }
  return keys;
}

/** Start-up checks that need the loaded functions: unknown names, and keys that would open too much. */
export function checkHostKeys(settings: HostKeySettings, functionNames: readonly string[]): void {
  for (const name of settings.functionKeys.keys()) {
    if (!functionNames.includes(name))
      throw new Error(`RELAY_LOCAL_FUNCTION_KEYS names "${name}", which is not a function of this app (${functionNames.join(', ')})`);
  }
  const master = settings.masterKey;
  if (master === undefined) return;
  if (settings.hostKeys.includes(master))
    throw new Error(
      'RELAY_LOCAL_ADMIN_KEY equals RELAY_LOCAL_FUNCTION_KEY: the master key must differ from the host key, or every caller could reach admin functions',
    );
  for (const [name, keys] of settings.functionKeys) {
    if (keys.includes(master))
      throw new Error(`RELAY_LOCAL_FUNCTION_KEYS gives "${name}" the same key as RELAY_LOCAL_ADMIN_KEY: the master key must differ from every function key`);
  }
}

export type KeyCheck = (authLevel: AuthLevel, functionName: string, presented: string | undefined) => boolean;

/** The check the HTTP server runs before invoking a function; keys are compared in constant time. */
export function createKeyCheck(settings: HostKeySettings): KeyCheck {
  const master = settings.masterKey === undefined ? undefined : digest(settings.masterKey);
  const hostKeys = settings.hostKeys.map(digest);
  const functionKeys = new Map([...settings.functionKeys].map(([name, keys]) => [name, keys.map(digest)]));
  const matchesAny = (candidate: Buffer, keys: readonly Buffer[]) => keys.reduce((found, key) => timingSafeEqual(candidate, key) || found, false);
  return (authLevel, functionName, presented) => {
    if (authLevel === 'anonymous') return true;
    if (presented === undefined || presented === '') return false;
    const candidate = digest(presented);
    if (master && timingSafeEqual(candidate, master)) return true;
    if (authLevel === 'admin') return false;
    return matchesAny(candidate, hostKeys) || matchesAny(candidate, functionKeys.get(functionName) ?? []);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
