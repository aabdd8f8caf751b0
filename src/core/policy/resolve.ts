// From the file's JSON to the DeliveryPolicy: presets applied, formats parsed, references checked.
// It runs on input the schema may have refused, so it looks at a value only when its type is right
// (the schema reported the rest) and reports what only it can see: formats, unknown presets,
// domains listed twice, reactions naming no destination, routes naming no smart host.
//
// Precedence (docs/policy.md "Built-ins and precedence"): the file's destinations come first, in its
// order; a file destination with a built-in's name replaces it (and starts from that preset unless it
// names another); a domain the file lists is taken out of every built-in destination; a built-in left
// without domains is dropped; `"builtIn": false` (or `{"destinations": false}`) drops them all.
import { DESTINATION_PRESETS } from './presets';
import { checkTimeOfDay, checkTimeZone, parseDomain } from './parse';
import { builtInsOf, type BuiltIns, duration, isObject, type Json, own, type PolicyProblem, Problems, resolveRate, step } from './resolveParts';
import { resolveDkim } from './resolveDkim';
import { resolveRoutes, resolveSmartHosts } from './resolveRoutes';
import { resolveReactions, resolveWarmup } from './resolveRules';
import { DESTINATION_CHARSETS, type DailyHours, type DeliveryPolicy, type Destination, type DestinationCharset } from './types';

export function resolvePolicy(json: unknown, source: string): { policy: DeliveryPolicy; problems: PolicyProblem[] } {
  const root = isObject(json) ? json : {};
  const problems = new Problems();
  const builtIns = builtInsOf(root);
  const destinations = resolveDestinations(isObject(root.destinations) ? root.destinations : {}, builtIns, problems);
  const smartHosts = resolveSmartHosts(isObject(root.smartHosts) ? root.smartHosts : {}, problems);
  const routes = resolveRoutes(Array.isArray(root.routes) ? root.routes : [], destinations, smartHosts, problems);
  const warmup = resolveWarmup(isObject(root.warmup) ? root.warmup : {}, smartHosts, problems);
  const reactions = resolveReactions(Array.isArray(root.reactions) ? root.reactions : [], destinations, builtIns, problems);
  const dkim = resolveDkim(isObject(root.dkim) ? root.dkim : {}, problems);
  return { policy: { destinations, smartHosts, routes, dkim, warmup, reactions, source }, problems: problems.list };
}

/** The built-in policy, in effect when there is no file. */
export function builtInPolicy(): DeliveryPolicy {
  const resolved = resolvePolicy({}, 'built-in');
  if (resolved.problems.length > 0) throw new Error(`the built-in presets do not resolve: ${JSON.stringify(resolved.problems)}`);
  return resolved.policy;
}

function resolveDestinations(entries: Json, builtIns: BuiltIns, problems: Problems): Destination[] {
  const owner = new Map<string, string>();
  const fromFile: Destination[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (!isObject(entry)) continue;
    const path = `/destinations/${step(name)}`;
    const presetName = typeof entry.preset === 'string' ? entry.preset : own(DESTINATION_PRESETS, name) ? name : undefined;
    const preset = presetName === undefined ? undefined : own(DESTINATION_PRESETS, presetName);
    if (presetName !== undefined && !preset) {
      problems.add(`${path}/preset`, `${JSON.stringify(presetName)} is not a preset (presets: ${Object.keys(DESTINATION_PRESETS).join(', ')})`);
    }
    const merged: Json = { ...(preset ?? {}), ...entry };
    if (!Array.isArray(merged.domains)) {
      if (entry.domains === undefined) problems.add(path, '"domains" is missing: list the recipient domains, or start from a "preset"');
      continue;
    }
    const domains = resolveDomains(merged.domains, `${path}/domains`, name, owner, problems);
    if (domains.length === 0 && merged.domains.length === 0) problems.add(`${path}/domains`, 'the list is empty: give at least one domain');
    fromFile.push(destination(name, domains, merged, path, problems, preset ? presetName : undefined));
  }
  if (!builtIns.destinations) return fromFile;
  const builtIn: Destination[] = [];
  for (const [name, preset] of Object.entries(DESTINATION_PRESETS)) {
    if (Object.hasOwn(entries, name)) continue;
    const domains = preset.domains.filter((d) => !owner.has(d));
    if (domains.length > 0) builtIn.push(destination(name, domains, preset as unknown as Json, `(built-in ${name})`, problems, name));
  }
  return [...fromFile, ...builtIn];
}

function resolveDomains(list: unknown[], path: string, name: string, owner: Map<string, string>, problems: Problems): string[] {
  const domains: string[] = [];
  list.forEach((item, i) => {
    if (typeof item !== 'string') return;
    const parsed = parseDomain(item);
    if (!parsed.ok) return problems.add(`${path}/${i}`, parsed.problem);
    const first = owner.get(parsed.value);
    if (first === name) return; // listed twice in one destination: harmless
    if (first !== undefined) return problems.add(`${path}/${i}`, `${JSON.stringify(parsed.value)} is in both destination "${first}" and "${name}"`);
    owner.set(parsed.value, name);
    domains.push(parsed.value);
  });
  return domains;
}

function destination(name: string, domains: string[], entry: Json, path: string, problems: Problems, preset: string | undefined): Destination {
  const hours = resolveHours(entry.hours, `${path}/hours`, problems);
  const lifetime = entry.lifetime === undefined ? undefined : duration(entry.lifetime, `${path}/lifetime`, problems);
  return {
    name,
    domains,
    ...(preset !== undefined ? { preset } : {}),
    rate: resolveRate(entry.rate, `${path}/rate`, problems),
    ...(typeof entry.concurrency === 'number' ? { concurrency: entry.concurrency } : {}),
    ...(hours ? { hours } : {}),
    ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
    ...(typeof entry.maxMessageBytes === 'number' ? { maxMessageBytes: entry.maxMessageBytes } : {}),
    ...resolveCharset(entry.charset, `${path}/charset`, problems),
  };
}

/** `charset`: the one supported value, in any case; anything else names the path and that value. */
function resolveCharset(value: unknown, path: string, problems: Problems): { charset?: DestinationCharset } {
  if (typeof value !== 'string') return {};
  const charset = DESTINATION_CHARSETS.find((c) => c === value.toLowerCase());
  if (charset) return { charset };
  problems.add(
    path,
    `${JSON.stringify(value)} is not a supported charset (supported: ${DESTINATION_CHARSETS.map((c) => JSON.stringify(c)).join(', ')}); leave "charset" out for UTF-8`,
  );
  return {};
}

function resolveHours(value: unknown, path: string, problems: Problems): DailyHours | undefined {
  if (!isObject(value)) return undefined;
  const { from, to, timeZone } = value;
  if (typeof from !== 'string' || typeof to !== 'string' || typeof timeZone !== 'string') return undefined;
  const found = [
    [`${path}/from`, checkTimeOfDay(from)],
    [`${path}/to`, checkTimeOfDay(to)],
    [`${path}/timeZone`, checkTimeZone(timeZone)],
  ].filter((pair): pair is [string, string] => pair[1] !== undefined);
  for (const [at, problem] of found) problems.add(at, problem);
  if (found.length === 0 && from === to) problems.add(path, `"from" and "to" are both ${from}: the window is empty; leave "hours" out to send at any time`);
  return found.length === 0 ? { from, to, timeZone } : undefined;
}
