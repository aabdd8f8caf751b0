// The composition root: settings are read and checked once, when the first function module loads,
// so a misconfigured app fails at start-up with a message naming the setting, not at the first send.
import { loadConfig, type RelayConfig } from './config';
import { summarizePolicy } from './core/policy/summary';
import { createStorageClients, relayIdentityCredential } from './storage/clients';
import { DeliveryStore } from './storage/deliveryStore';
import { EventLog } from './storage/eventLog';
import { BodyStore } from './storage/bodyStore';
import { DeliveryQueue } from './storage/deliveryQueue';
import { IdempotencyStore } from './storage/idempotencyStore';
import { SuppressionStore } from './storage/suppressionStore';
import { SenderStore } from './storage/senderStore';
import { AppliedEventStore } from './storage/appliedEventStore';
import { ThrottleStore } from './storage/throttleStore';
import { SuspensionStore } from './storage/suspensionStore';
import { MessageIndexStore } from './storage/messageIndexStore';
import { PoisonStore } from './storage/poisonStore';
import { NodemailerSmartHost } from './smtp/smartHost';
import { startDeliveryMetrics } from './telemetry/exportMetrics';
import { SmartHostHealthStore } from './storage/smartHostHealthStore';
import { DEFAULT_SMART_HOST } from './core/policy/types';
import type { SmartHost } from './relay/ports';
import type { RelayDeps } from './relay/deps';

let instance: RelayDeps | undefined;

/** One set of clients and one SMTP pool per instance, shared by every invocation. */
export function relayDeps(): RelayDeps {
  if (!instance) {
    const config = loadConfig();
    // Once per instance, in the start-up log: the delivery policy it runs on (no secret in it).
    console.log(summarizePolicy(config.policy));
    instance = buildRelayDeps(config);
  }
  return instance;
}

/** One pool per smart host of the policy; an xoauth2 one with the token credential of its own identity. */
function smartHostPools(config: RelayConfig, defaultHost: SmartHost | undefined): Map<string, SmartHost> {
  const hosts = new Map<string, SmartHost>();
  for (const [name, settings] of config.smartHostConnections) {
    if (name === DEFAULT_SMART_HOST && defaultHost) {
      hosts.set(name, defaultHost);
      continue;
    }
    const credential = settings.auth === 'xoauth2' ? relayIdentityCredential(settings.identityClientId) : undefined;
    hosts.set(name, new NodemailerSmartHost({ ...settings, name }, credential));
  }
  if (!hosts.has(DEFAULT_SMART_HOST)) throw new Error('the default smart host is missing from the settings');
  return hosts;
}

/** @param smartHost stands in for the `default` smart host (tests); the others are always real pools */
export function buildRelayDeps(config: RelayConfig, smartHost?: SmartHost): RelayDeps {
  const clients = createStorageClients(config);
  const telemetry = config.telemetry;
  const metrics = startDeliveryMetrics({
    connectionString: telemetry.connectionString,
    credential: telemetry.entra ? relayIdentityCredential(telemetry.entraClientId ?? config.smartHost.identityClientId) : undefined,
  }).metrics;
  return {
    config,
    deliveries: new DeliveryStore(clients.deliveries),
    events: new EventLog(clients.events),
    bodies: new BodyStore(clients.bodies),
    queue: new DeliveryQueue(clients.queue),
    poisonQueue: new DeliveryQueue(clients.poisonQueue),
    idempotency: new IdempotencyStore(clients.idempotency),
    suppressions: new SuppressionStore(clients.suppressions),
    senders: new SenderStore(clients.senders, config),
    appliedEvents: new AppliedEventStore(clients.idempotency),
    smartHosts: smartHostPools(config, smartHost),
    smartHostHealth: new SmartHostHealthStore(clients.shaping, config.smartHostCoolOff),
    messageIndex: new MessageIndexStore(clients.messageIndex),
    poisonTasks: new PoisonStore(clients.messageIndex),
    throttles: new ThrottleStore(clients.shaping),
    suspensions: new SuspensionStore(clients.suspensions),
    metrics,
    now: () => new Date(),
  };
}
