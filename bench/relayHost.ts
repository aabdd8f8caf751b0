// The relay as users run it locally: the real functions in the local Functions host (a child
// process), pointed at the bench's storage and the sink. The relay's queue function can be switched
// off with the app setting the Functions runtime honours, AzureWebJobs.relayDelivery.Disabled.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config';
import { spawnHost, type HostProcess } from '../src/local/hostProcess';
import { localDefaults } from '../src/local/settings';
import { createStorageClients, ensureStorageResources } from '../src/storage/clients';
import { SuppressionStore } from '../src/storage/suppressionStore';
import type { Suppressions } from '../src/relay/ports';
import { LIST_CHANGE_MARGIN_MS } from '../src/core/suppression';
import { SENDER_DOMAIN } from './messages';
import { relaySettingsFor } from '../src/local/devSmartHost';
import type { Sink } from './sink';

export const FUNCTION_KEY = randomBytes(16).toString('hex');

export interface RelayHostOptions {
  storageConnectionString: string;
  sink: Sink;
  poolSize: number;
  relayEnabled: boolean;
  /** names the host in the list of started hosts (to match CPU profiles to stages) */
  label: string;
  /** more app settings, e.g. RELAY_POLICY_JSON for the shaping stage */
  extraEnv?: Record<string, string>;
}

/** Every host the bench started: pid and label. */
export const startedHosts: Array<{ pid: number; label: string }> = [];

export interface RelayHost {
  readonly url: string;
  readonly pid: number | undefined;
  /** ms from spawning to the host listening */
  readonly startupMs: number;
  stop(): Promise<void>;
}

export function relayHostEnv(options: RelayHostOptions): Record<string, string | undefined> {
  return {
    ...localDefaults(),
    PATH: process.env.PATH,
    AzureWebJobsStorage: options.storageConnectionString,
    RELAY_LOCAL_PORT: '0',
    RELAY_LOCAL_FUNCTION_KEY: FUNCTION_KEY,
    RELAY_ALLOWED_SENDER_DOMAINS: SENDER_DOMAIN,
    ...relaySettingsFor(options.sink.smtp, options.sink),
    SMARTHOST_POOL_SIZE: String(options.poolSize),
    'AzureWebJobs.relayDelivery.Disabled': options.relayEnabled ? 'false' : 'true',
    ...options.extraEnv,
  };
}

/** Creates the relay's tables, queues and container (the host creates only its queues). */
export async function prepareStorage(connectionString: string, sink: Sink): Promise<void> {
  const env = relayHostEnv({ storageConnectionString: connectionString, sink, poolSize: 1, relayEnabled: false, label: 'storage set-up' });
  const clients = createStorageClients(loadConfig(env));
  await ensureStorageResources(clients);
  await warmSuppressionMarks(new SuppressionStore(clients.suppressions));
}

/**
 * As on a relay that has run a while: the suppression list's change marks exist, older than any
 * accept's lookup to come (the first delivery of a new table writes them, src/storage/suppressionChanges.ts),
 * so a delivery reads the marks instead of looking its address up. Waits out the clock margin.
 */
export async function warmSuppressionMarks(suppressions: Pick<Suppressions, 'changedSince'>): Promise<void> {
  await suppressions.changedSince('warm@example.net', new Date());
  await new Promise((resolve) => setTimeout(resolve, LIST_CHANGE_MARGIN_MS + 100));
}

/** Drops every task still on the delivery queue, invisible (held) ones too. */
export async function clearDeliveryQueue(connectionString: string, sink: Sink): Promise<void> {
  const env = relayHostEnv({ storageConnectionString: connectionString, sink, poolSize: 1, relayEnabled: false, label: 'clearing the queue' });
  await createStorageClients(loadConfig(env)).queue.clearMessages();
}

export async function startRelayHost(options: RelayHostOptions): Promise<RelayHost> {
  const recent: string[] = [];
  const started = Date.now();
  const host: HostProcess = await spawnHost({
    env: relayHostEnv(options),
    // per-invocation lines are still written by the host (as in Azure); the bench keeps only the last few
    output: (line) => {
      recent.push(line);
      if (recent.length > 30) recent.shift();
    },
  });
  const startupMs = Date.now() - started;
  if (host.child.pid !== undefined) startedHosts.push({ pid: host.child.pid, label: options.label });
  void host.exited.then((code) => {
    if (code !== 0 && code !== null) console.error(`the function host exited with code ${code}; its last lines:\n${recent.join('\n')}`);
  });
  return { url: host.url, pid: host.child.pid, startupMs, stop: () => host.stop() };
}

/** `count` hosts, started one after the other: starting three at once would only fight for the two cores. */
export async function startRelayHosts(count: number, options: RelayHostOptions): Promise<RelayHost[]> {
  const hosts: RelayHost[] = [];
  try {
    for (let i = 0; i < count; i++) hosts.push(await startRelayHost({ ...options, label: `${options.label}, host ${i + 1} of ${count}` }));
    return hosts;
  } catch (error) {
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    throw error;
  }
}
