// What the relay's use-cases need, bundled so that functions/ passes one thing and tests can build it
// against Azurite and a real SMTP server.
import type { RelayConfig } from '../config';
import type { DeliveryStore } from '../storage/deliveryStore';
import type { EventLog } from '../storage/eventLog';
import type { BodyStore } from '../storage/bodyStore';
import type { DeliveryQueue } from '../storage/deliveryQueue';
import type { IdempotencyStore } from '../storage/idempotencyStore';
import type { SmartHost } from '../smtp/smartHost';

export interface RelayDeps {
  config: RelayConfig;
  deliveries: DeliveryStore;
  events: EventLog;
  bodies: BodyStore;
  queue: DeliveryQueue;
  idempotency: IdempotencyStore;
  smartHost: SmartHost;
  now: () => Date;
}

/** The invocation's logger (InvocationContext in Azure); one line per state change, never a body or secret. */
export interface RelayLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
