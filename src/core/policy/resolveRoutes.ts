// The policy file's smart hosts and routes, resolved (see resolve.ts for the destinations). `default`
// is the smart host of the SMARTHOST_* settings: it takes limits only, and is always a name a route
// may use. Every other smart host says how to reach it; its password stays in the app setting its
// `passwordSetting` names (src/smartHostSettings.ts reads it at start-up), never in the file.
import { SMART_HOST_PROFILES } from './presets';
import { parseDomain } from './parse';
import { isObject, type Json, own, type Problems, resolveRate, step } from './resolveParts';
import { DEFAULT_SMART_HOST, type Destination, type Route, type SmartHostConnection, type SmartHostLimits } from './types';

/** The keys that say how to reach a smart host: none of them is `default`'s. */
export const CONNECTION_KEYS = ['host', 'port', 'auth', 'username', 'passwordSetting', 'oauthScope', 'identityClientId', 'poolSize'] as const;

/** The submission port a smart host is reached on when `port` is not given. */
export const SUBMISSION_PORT = 587;

export function resolveSmartHosts(entries: Json, problems: Problems): ReadonlyMap<string, SmartHostLimits> {
  const hosts = new Map<string, SmartHostLimits>();
  for (const [name, entry] of Object.entries(entries)) {
    if (!isObject(entry)) continue;
    const path = `/smartHosts/${step(name)}`;
    const profileName = typeof entry.profile === 'string' ? entry.profile : undefined;
    const profile = profileName === undefined ? undefined : own(SMART_HOST_PROFILES, profileName);
    if (profileName !== undefined && !profile) {
      problems.add(`${path}/profile`, `${JSON.stringify(profileName)} is not a smart host profile (profiles: ${Object.keys(SMART_HOST_PROFILES).join(', ')})`);
    }
    const rate = resolveRate(entry.rate ?? profile?.rate, `${path}/rate`, problems);
    const concurrency = typeof entry.concurrency === 'number' ? entry.concurrency : profile?.concurrency;
    const connection = name === DEFAULT_SMART_HOST ? refuseConnection(entry, path, problems) : resolveConnection(entry, path, problems);
    hosts.set(name, {
      name,
      ...(profile ? { profile: profileName } : {}),
      rate,
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(connection ? { connection } : {}),
    });
  }
  return hosts;
}

function refuseConnection(entry: Json, path: string, problems: Problems): undefined {
  for (const key of CONNECTION_KEYS) {
    if (entry[key] === undefined) continue;
    problems.add(
      `${path}/${key}`,
      `"${key}" is not allowed for "default": the default smart host is the SMARTHOST_* settings; give another smart host a name of its own`,
    );
  }
  return undefined;
}

function resolveConnection(entry: Json, path: string, problems: Problems): SmartHostConnection | undefined {
  const { host, username, passwordSetting, oauthScope, identityClientId, poolSize } = entry;
  const auth = entry.auth === undefined ? 'login' : entry.auth;
  const port = entry.port === undefined ? SUBMISSION_PORT : entry.port;
  let fine = typeof host === 'string' && typeof port === 'number' && (auth === 'login' || auth === 'plain' || auth === 'xoauth2');
  const need = (ok: boolean, at: string, problem: string) => {
    if (ok) return;
    problems.add(at, problem);
    fine = false;
  };
  need(host !== undefined, path, '"host" is missing: the smart host\'s name (its TLS certificate must match it)');
  need(username !== undefined, path, '"username" is missing: the SMTP AUTH user (for xoauth2, the mailbox the token is for)');
  need(port !== 25, `${path}/port`, "25 is blocked outbound in Azure: use the smart host's submission port (587)");
  if (auth === 'xoauth2') {
    need(passwordSetting === undefined, `${path}/passwordSetting`, 'an xoauth2 smart host takes a token, not a password: leave "passwordSetting" out');
  } else {
    need(
      passwordSetting !== undefined,
      path,
      `"passwordSetting" is missing: auth ${JSON.stringify(auth)} needs the name of the app setting that holds the password`,
    );
    for (const key of ['oauthScope', 'identityClientId'] as const) {
      need(entry[key] === undefined, `${path}/${key}`, `only an xoauth2 smart host takes "${key}"`);
    }
  }
  if (!fine || typeof username !== 'string') return undefined;
  return {
    host: host as string,
    port: port as number,
    auth: auth as SmartHostConnection['auth'],
    username,
    ...(typeof passwordSetting === 'string' ? { passwordSetting } : {}),
    ...(typeof oauthScope === 'string' ? { oauthScope } : {}),
    ...(typeof identityClientId === 'string' ? { identityClientId } : {}),
    ...(typeof poolSize === 'number' ? { poolSize } : {}),
  };
}

/** The smart host names a route or a warm-up plan may use: the file's, and `default` always. */
export function smartHostNames(hosts: ReadonlyMap<string, SmartHostLimits>): string[] {
  return [DEFAULT_SMART_HOST, ...[...hosts.keys()].filter((n) => n !== DEFAULT_SMART_HOST)];
}

export function unknownSmartHost(name: string, hosts: ReadonlyMap<string, SmartHostLimits>): string {
  return `${JSON.stringify(name)} is not a smart host of the policy (smart hosts: ${smartHostNames(hosts).join(', ')})`;
}

export function resolveRoutes(
  entries: unknown[],
  destinations: readonly Destination[],
  hosts: ReadonlyMap<string, SmartHostLimits>,
  problems: Problems,
): Route[] {
  const knownDestinations = new Set(destinations.map((d) => d.name));
  const knownHosts = new Set(smartHostNames(hosts));
  const routes: Route[] = [];
  entries.forEach((entry, i) => {
    if (!isObject(entry) || !Array.isArray(entry.smartHosts)) return;
    const path = `/routes/${i}`;
    let fine = true;
    const names: string[] = [];
    entry.smartHosts.forEach((name, j) => {
      if (typeof name !== 'string') return (fine = false);
      if (!knownHosts.has(name)) problems.add(`${path}/smartHosts/${j}`, unknownSmartHost(name, hosts));
      else if (names.includes(name)) problems.add(`${path}/smartHosts/${j}`, `${JSON.stringify(name)} is listed twice: each smart host is tried once`);
      else return names.push(name);
      fine = false;
    });
    if (entry.warmupOverflow === true && entry.smartHosts.length < 2) {
      problems.add(`${path}/warmupOverflow`, 'there is no next smart host to overflow to: list at least two in "smartHosts"');
      fine = false;
    }
    const match = resolveMatch(isObject(entry.match) ? entry.match : {}, `${path}/match`, knownDestinations, problems);
    if (!fine || !match || names.length === 0) return;
    routes.push({ match, smartHosts: names, ...(entry.warmupOverflow === true ? { warmupOverflow: true } : {}) });
  });
  return routes;
}

function resolveMatch(match: Json, path: string, knownDestinations: ReadonlySet<string>, problems: Problems): Route['match'] | undefined {
  let fine = true;
  const domains = (key: 'recipientDomains' | 'senderDomains'): string[] | undefined => {
    const list = match[key];
    if (!Array.isArray(list)) return undefined;
    const found: string[] = [];
    list.forEach((item, j) => {
      if (typeof item !== 'string') return (fine = false);
      const parsed = parseDomain(item);
      if (parsed.ok) return found.push(parsed.value);
      problems.add(`${path}/${key}/${j}`, parsed.problem);
      fine = false;
    });
    return found;
  };
  const recipientDomains = domains('recipientDomains');
  const senderDomains = domains('senderDomains');
  let destinations: string[] | undefined;
  if (Array.isArray(match.destinations)) {
    destinations = [];
    match.destinations.forEach((name, j) => {
      if (typeof name !== 'string') return (fine = false);
      if (knownDestinations.has(name)) return destinations?.push(name);
      problems.add(
        `${path}/destinations/${j}`,
        `${JSON.stringify(name)} is not a destination in effect (destinations: ${[...knownDestinations].join(', ') || 'none'})`,
      );
      fine = false;
    });
  }
  const tags = isObject(match.tags) ? match.tags : undefined;
  if (tags && Object.values(tags).some((v) => typeof v !== 'string')) fine = false;
  if (!fine) return undefined;
  return {
    ...(recipientDomains ? { recipientDomains } : {}),
    ...(destinations ? { destinations } : {}),
    ...(senderDomains ? { senderDomains } : {}),
    ...(tags ? { tags: tags as Record<string, string> } : {}),
  };
}
