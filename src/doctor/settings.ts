// What the doctor needs to know of the relay's configuration, read as the app reads it: the policy
// (RELAY_POLICY_FILE, relay-policy.json at the app root, or RELAY_POLICY_JSON) and the settings. It
// sends nothing, so it needs no password: only the smart hosts' names, the DKIM key of the domain
// and the envelope domain.
//
// Smart host connections and `dkim` come with the routing and DKIM branches of issue 11. Until the
// typed policy carries them, they are read from the policy's raw JSON; once it does, the typed
// values win and the raw reading only fills gaps.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_ROOT, POLICY_FILE_NAME, jsonProblem, readDeliveryPolicy } from '../policyFile';
import { DEFAULT_SMART_HOST, type DeliveryPolicy } from '../core/policy/types';

type Env = Readonly<Record<string, string | undefined>>;

export interface ConfiguredSmartHost {
  /** the policy's name; `default` is SMARTHOST_HOST */
  readonly name: string;
  readonly host: string;
}

export interface ConfiguredDkim {
  readonly selector: string;
  readonly privateKeySetting: string;
}

export interface DoctorSettings {
  readonly smartHosts: readonly ConfiguredSmartHost[];
  /** the policy's `dkim.<domain>` for the domain checked */
  readonly dkim?: ConfiguredDkim;
  /** RELAY_BOUNCE_DOMAIN, lower case */
  readonly bounceDomain?: string;
  /** the value of a setting (the DKIM key's), as the app would read it */
  readonly setting: (name: string) => string | undefined;
  /** what the relay would refuse in its configuration, said but not fatal to the doctor */
  readonly notes: readonly string[];
}

/** Thrown when the policy cannot be read at all: the doctor cannot know what the relay sends through. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export function readDoctorSettings(domain: string, env: Env, appRoot: string = APP_ROOT): DoctorSettings {
  const source = { file: value(env, 'RELAY_POLICY_FILE'), json: value(env, 'RELAY_POLICY_JSON'), appRoot };
  const problems: string[] = [];
  const policy = readDeliveryPolicy(source, problems);
  const raw = rawPolicy(source);
  const notes = problems.map((p) => `the relay would refuse its policy: ${p}`);

  const smartHosts: ConfiguredSmartHost[] = [];
  const defaultHost = value(env, 'SMARTHOST_HOST');
  if (defaultHost !== undefined) smartHosts.push({ name: DEFAULT_SMART_HOST, host: defaultHost.toLowerCase() });
  else notes.push('SMARTHOST_HOST is not set: the default smart host is unknown to the doctor');
  for (const [name, host] of policySmartHosts(policy, raw)) smartHosts.push({ name, host: host.toLowerCase() });

  const allowed = value(env, 'RELAY_ALLOWED_SENDER_DOMAINS')
    ?.split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  if (allowed !== undefined && !allowed.includes(domain)) notes.push(`${domain} is not in RELAY_ALLOWED_SENDER_DOMAINS: the relay refuses mail from it`);

  const bounceDomain = value(env, 'RELAY_BOUNCE_DOMAIN')?.toLowerCase();
  return { smartHosts, dkim: policyDkim(policy, raw, domain), bounceDomain, setting: (name) => env[name], notes };
}

function value(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** Smart hosts other than `default`, by name: the typed connection's host, else the raw `host`. */
function policySmartHosts(policy: DeliveryPolicy, raw: Record<string, unknown>): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const [name, limits] of policy.smartHosts) {
    if (name !== DEFAULT_SMART_HOST && limits.connection?.host) hosts.set(name, limits.connection.host);
  }
  for (const [name, entry] of Object.entries(objectAt(raw, 'smartHosts'))) {
    const host = objectAt({ entry }, 'entry').host;
    if (name !== DEFAULT_SMART_HOST && !hosts.has(name) && typeof host === 'string' && host.trim() !== '') hosts.set(name, host.trim());
  }
  return hosts;
}

function policyDkim(policy: DeliveryPolicy, raw: Record<string, unknown>, domain: string): ConfiguredDkim | undefined {
  const typed = policy.dkim.get(domain);
  if (typed) return { selector: typed.selector, privateKeySetting: typed.privateKeySetting };
  const entries = objectAt(raw, 'dkim');
  const key = Object.keys(entries).find((d) => d.toLowerCase() === domain);
  const entry = key === undefined ? {} : objectAt(entries, key);
  const { selector, privateKeySetting } = entry;
  return typeof selector === 'string' && typeof privateKeySetting === 'string' ? { selector, privateKeySetting } : undefined;
}

function objectAt(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const child = parent[key];
  return typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Record<string, unknown>) : {};
}

/** The policy's JSON as found where readDeliveryPolicy looks; {} for the built-in policy. */
function rawPolicy(source: { file?: string; json?: string; appRoot: string }): Record<string, unknown> {
  const defaultFile = path.join(source.appRoot, POLICY_FILE_NAME);
  const file = source.file !== undefined ? path.resolve(source.appRoot, source.file) : existsSync(defaultFile) ? defaultFile : undefined;
  let text: string;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new SettingsError(`the policy file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (source.json !== undefined) text = source.json;
  else return {};
  const clean = text.replace(/^\uFEFF/, '');
  try {
    const parsed: unknown = JSON.parse(clean);
    return objectAt({ parsed }, 'parsed');
  } catch (err) {
    throw new SettingsError(`the policy (${file ?? 'RELAY_POLICY_JSON'}) is not JSON: ${jsonProblem(clean, err)}`);
  }
}
