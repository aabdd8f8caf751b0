// The doctor's view of DNS: node:dns's Resolver (the system's servers, or the one --dns-server names),
// in the (name, type) form mailauth takes as its `resolver` option. A recording wrapper keeps each
// query and its answer, so a check can say which names mailauth looked up (the includes an SPF
// evaluation walked) without parsing a record itself.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/** mailauth's resolver shape: TXT answers are string[][], MX answers {exchange, priority}[]. */
export type Lookup = (name: string, type: string) => Promise<unknown[]>;

export interface Query {
  readonly name: string;
  readonly type: string;
  /** undefined when the lookup failed */
  readonly answer?: unknown[];
  /** node:dns's code: ENOTFOUND (no such name), ENODATA (no record of that type), ETIMEOUT, ... */
  readonly error?: string;
}

export interface Recording {
  readonly lookup: Lookup;
  readonly queries: Query[];
}

/** A lookup that keeps every query it answers (lower-case names, no trailing dot). */
export function recording(lookup: Lookup): Recording {
  const queries: Query[] = [];
  return {
    queries,
    lookup: async (name, type) => {
      const key = { name: name.toLowerCase().replace(/\.$/, ''), type: type.toUpperCase() };
      try {
        const answer = await lookup(name, type);
        queries.push({ ...key, answer });
        return answer;
      } catch (err) {
        queries.push({ ...key, error: (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN' });
        throw err;
      }
    },
  };
}

/** The "ip:port" node:dns wants from --dns-server's host:port (port 53 when absent); throws a sentence. */
export function dnsServerAddress(text: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(text);
  const host = bracketed?.[1] ?? plain?.[1] ?? (isIP(text) === 6 ? text : undefined);
  const port = bracketed?.[2] ?? plain?.[2] ?? '53';
  if (host === undefined || isIP(host) === 0) throw new Error(`--dns-server "${text}" is not an IP address with an optional port (127.0.0.1:53, [::1]:53)`);
  if (Number(port) < 1 || Number(port) > 65535) throw new Error(`--dns-server "${text}": the port must be from 1 to 65535`);
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** node:dns lookups through the given server, or the system's. A dead server fails in seconds, not minutes. */
export function dnsLookup(server?: string): Lookup {
  const resolver = new Resolver({ timeout: 2500, tries: 2 });
  if (server !== undefined) resolver.setServers([server]);
  return (name, type) => resolver.resolve(name, type) as Promise<unknown[]>;
}

/** True when the error only says the name or the record is not there (as opposed to a DNS failure). */
export function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

/** The answers, or [] when there are none; DNS failures still throw. */
export async function answersOrNone(lookup: Lookup, name: string, type: string): Promise<unknown[]> {
  try {
    return await lookup(name, type);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

/** A TXT answer's records, each one string (a record may come in several 255-octet pieces). */
export async function txtRecords(lookup: Lookup, name: string): Promise<string[]> {
  const answer = await answersOrNone(lookup, name, 'TXT');
  return answer.map((pieces) => (Array.isArray(pieces) ? pieces.join('') : String(pieces)));
}
