// Storage queue triggers: one listener per `app.storageQueue(...)` registration, behaving like the
// Functions host's queue listener (Microsoft.Azure.WebJobs.Extensions.Storage.Queues) configured by
// host.json `extensions.queues`: exponential back-off polling, batches, a bound on concurrent
// invocations, visibility renewal, retries through the visibility timeout and a poison queue.
import { randomUUID } from 'node:crypto';
import { QueueServiceClient, type QueueClient, type ReceivedMessageItem } from '@azure/storage-queue';
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from './functionsCore';
import type { HostLogger } from './hostLog';
import { describeError } from './httpTrigger';
import type { InFlightWork } from './inFlight';
import { dotNetDate, invokeRegisteredFunction, jsonData, stringData, triggerBindingOf } from './invocation';

export interface QueueListenerOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  /** delay before a failed message is visible again */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
  /**
   * While a message is processed it stays invisible this long, renewed at half of it; after a crash it
   * reappears once this has passed. Not from host.json: the local setting RELAY_LOCAL_QUEUE_LEASE_SECONDS.
   */
  processingLeaseSeconds: number;
}

/** The Functions host's processing lease: 10 minutes. */
export const DEFAULT_PROCESSING_LEASE_SECONDS = 10 * 60;
/** The longest visibility timeout the queue service accepts: 7 days. */
const MAX_PROCESSING_LEASE_SECONDS = 7 * 24 * 60 * 60;

/** Reads RELAY_LOCAL_QUEUE_LEASE_SECONDS; throws naming the setting when it is not a valid lease. */
export function parseProcessingLeaseSeconds(text: string): number {
  const value = text.trim();
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_PROCESSING_LEASE_SECONDS) {
    throw new Error(`RELAY_LOCAL_QUEUE_LEASE_SECONDS is "${text}": it must be a whole number of seconds from 1 to ${MAX_PROCESSING_LEASE_SECONDS}`);
  }
  return Number(value);
}
/** The host's shortest polling interval, from which the back-off doubles. */
const minimumPollingIntervalMs = 100;

/** Reads host.json `extensions.queues` with the extension's defaults; throws on values it would reject. */
export function readQueueListenerOptions(hostJson: unknown, processingLeaseSeconds = DEFAULT_PROCESSING_LEASE_SECONDS): QueueListenerOptions {
  const queues = objectAt(objectAt(hostJson, 'extensions'), 'queues');
  const batchSize = integerOption(queues, 'batchSize', 16, 1, 32);
  const encoding = String(queues.messageEncoding ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') throw new Error(`host.json extensions.queues.messageEncoding is "${encoding}": it must be base64 or none`);
  return {
    batchSize,
    newBatchThreshold: integerOption(queues, 'newBatchThreshold', Math.floor(batchSize / 2), 0, 10_000),
    maxPollingIntervalMs: timeSpanOption(queues, 'maxPollingInterval', 60_000),
    visibilityTimeoutMs: timeSpanOption(queues, 'visibilityTimeout', 0),
    maxDequeueCount: integerOption(queues, 'maxDequeueCount', 5, 1, 1_000_000),
    messageEncoding: encoding,
    processingLeaseSeconds,
  };
}

/** Parses a .NET TimeSpan such as "00:00:30", "1.00:00:00" or "00:00:00.250" into milliseconds. */
export function parseTimeSpan(text: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds, fraction] = match;
  const ms = Number(`0.${fraction ?? '0'}`) * 1000;
  return Math.round(((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + ms);
}

export interface QueueTriggerTarget {
  fn: RegisteredFunction;
  queueName: string;
  connectionString: string;
  /** "binary" passes the decoded bytes; anything else passes text */
  dataType?: string;
}

/** Resolves a queue trigger's queue name (%SETTING% expressions) and connection against the settings. */
export function resolveQueueTrigger(fn: RegisteredFunction, settings: Record<string, string | undefined>): QueueTriggerTarget {
  const trigger = triggerBindingOf(fn).options;
  const name = fn.metadata.name;
  if (typeof trigger.queueName !== 'string' || trigger.queueName === '') throw new Error(`Function "${name}": the queue trigger has no queueName`);
  const queueName = trigger.queueName
    .replace(/%([^%]+)%/g, (expression: string, setting: string) => {
      const value = settings[setting];
      if (value === undefined || value === '') {
        throw new Error(`Function "${name}": the queue name ${expression} refers to the setting ${setting}, which is not set ('${expression}' does not resolve to a value)`);
      }
      return value;
    })
    .toLowerCase();
  if (!/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(queueName)) {
    throw new Error(`Function "${name}": "${queueName}" is not a valid queue name (3 to 63 lower-case letters, digits and single hyphens)`);
  }
  const setting = typeof trigger.connection === 'string' && trigger.connection !== '' ? trigger.connection : 'AzureWebJobsStorage';
  const connectionString = settings[setting] || settings[`AzureWebJobs${setting}`];
  if (!connectionString) {
    const identityBased = Object.keys(settings).some((key) => key.startsWith(`${setting}__`) && settings[key]);
    throw new Error(
      identityBased
        ? `Function "${name}": connection ${setting} is identity-based (${setting}__*); the local host needs a connection string in ${setting}`
        : `Function "${name}": storage account connection string '${setting}' does not exist. Make sure that it is a defined App Setting.`,
    );
  }
  return { fn, queueName, connectionString, dataType: typeof trigger.dataType === 'string' ? trigger.dataType : undefined };
}

export class QueueListener {
  readonly #queue: QueueClient;
  readonly #poisonQueue: QueueClient;
  readonly #renewals = new Set<NodeJS.Timeout>();
  #active = 0;
  #wakeOnCompletion?: () => void;
  #stopped = false;
  #sleep?: { timer: NodeJS.Timeout; wake: () => void };
  #receiveAbort?: AbortController;
  #loop?: Promise<void>;

  constructor(
    private readonly target: QueueTriggerTarget,
    private readonly options: QueueListenerOptions,
    private readonly registry: FunctionRegistry,
    private readonly logger: HostLogger,
    private readonly inFlight: InFlightWork,
  ) {
    // Few, short retries: a storage outage shows up in the log within seconds instead of minutes.
    const service = QueueServiceClient.fromConnectionString(target.connectionString, {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 30_000 },
    });
    this.#queue = service.getQueueClient(target.queueName);
    this.#poisonQueue = service.getQueueClient(`${target.queueName}-poison`);
  }

  /** Creates the queue if it is missing (the host does the same) and starts polling. */
  async start(): Promise<void> {
    try {
      await this.#queue.createIfNotExists();
    } catch (error) {
      throw new Error(`Function "${this.target.fn.metadata.name}": cannot reach or create queue "${this.target.queueName}": ${errorMessage(error)}`);
    }
    this.#loop = this.#poll();
  }

  /** Stops polling; invocations already running carry on (the host's in-flight tracking waits for them). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#receiveAbort?.abort();
    this.#sleep?.wake();
    this.#wakeOnCompletion?.();
    await this.#loop;
  }

  /** Called when the host gives up waiting: drop the leases' renewal so no timer outlives the host. */
  abandonRenewals(): void {
    for (const timer of this.#renewals) clearInterval(timer);
    this.#renewals.clear();
  }

  async #poll(): Promise<void> {
    let delayMs = 0;
    while (!this.#stopped) {
      // A new batch is fetched only once the running ones are down to newBatchThreshold.
      while (this.#active > this.options.newBatchThreshold && !this.#stopped) {
        await new Promise<void>((resolve) => (this.#wakeOnCompletion = resolve));
      }
      if (this.#stopped) break;
      let messages: ReceivedMessageItem[] = [];
      try {
        this.#receiveAbort = new AbortController();
        const response = await this.#queue.receiveMessages({
          numberOfMessages: this.options.batchSize,
          visibilityTimeout: this.options.processingLeaseSeconds,
          abortSignal: this.#receiveAbort.signal,
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        if (!this.#stopped) this.logger.host('warning', `Polling queue "${this.target.queueName}" failed: ${errorMessage(error)}`);
      }
      if (this.#stopped) {
        await Promise.all(messages.map((m) => this.#release(m.messageId, m.popReceipt, 0)));
        break;
      }
      if (messages.length > 0) {
        delayMs = 0;
        for (const message of messages) void this.inFlight.track(this.#process(message));
        continue;
      }
      delayMs = Math.min(delayMs === 0 ? minimumPollingIntervalMs : delayMs * 2, this.options.maxPollingIntervalMs);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#sleep = undefined;
          resolve();
        };
        const timer = setTimeout(wake, delayMs);
        this.#sleep = { timer, wake };
      });
    }
  }

  async #process(message: ReceivedMessageItem): Promise<void> {
    this.#active++;
    // Each renewal gives the message a new pop receipt; completing it must wait for a renewal under
    // way and use the newest receipt, or the delete/update is refused.
    let popReceipt = message.popReceipt;
    let renewing = Promise.resolve();
    const leaseSeconds = this.options.processingLeaseSeconds;
    const renewal = setInterval(() => {
      renewing = renewing
        .then(() => this.#queue.updateMessage(message.messageId, popReceipt, undefined, leaseSeconds))
        .then((r) => void (popReceipt = r.popReceipt ?? popReceipt))
        .catch((error) => this.logger.host('warning', `Renewing the lease of message ${message.messageId} failed: ${errorMessage(error)}`));
    }, (leaseSeconds * 1000) / 2);
    this.#renewals.add(renewal);
    const endRenewal = async () => {
      clearInterval(renewal);
      await renewing;
    };
    const functionName = this.target.fn.metadata.name;
    try {
      if (message.dequeueCount > this.options.maxDequeueCount) {
        await this.#moveToPoison(message, popReceipt);
        return;
      }
      const content = this.#decode(message.messageText);
      if (content === undefined) {
        this.logger.host('warning', `Message ${message.messageId} on "${this.target.queueName}" is not valid base64 (host.json messageEncoding is base64)`);
        await this.#moveToPoison(message, popReceipt);
        return;
      }
      const invocationId = randomUUID();
      const started = Date.now();
      this.logger.core({ level: 'information', category: 'system', functionName, invocationId, message: `Executing (Reason='New queue message detected on '${this.target.queueName}'.', Id=${message.messageId}, DequeueCount=${message.dequeueCount})` });
      try {
        await invokeRegisteredFunction(this.registry, this.target.fn, this.#invocationInput(message, content, popReceipt), invocationId);
      } catch (error) {
        this.logger.core({ level: 'error', category: 'system', functionName, invocationId, message: `Executed (Failed, Id=${message.messageId}, Duration=${Date.now() - started}ms): ${describeError(error)}` });
        await endRenewal();
        if (message.dequeueCount >= this.options.maxDequeueCount) await this.#moveToPoison(message, popReceipt);
        else await this.#release(message.messageId, popReceipt, Math.round(this.options.visibilityTimeoutMs / 1000));
        return;
      }
      this.logger.core({ level: 'information', category: 'system', functionName, invocationId, message: `Executed (Succeeded, Id=${message.messageId}, Duration=${Date.now() - started}ms)` });
      await endRenewal();
      await this.#queue.deleteMessage(message.messageId, popReceipt);
    } catch (error) {
      this.logger.host('warning', `Completing message ${message.messageId} on "${this.target.queueName}" failed: ${errorMessage(error)}`);
    } finally {
      clearInterval(renewal);
      this.#renewals.delete(renewal);
      this.#active--;
      this.#wakeOnCompletion?.();
    }
  }

  /**
   * The trigger input and binding data as the host sends them: the text as a string (the library
   * JSON-parses it when it can), DequeueCount and the times as JSON (DateTimeOffset in .NET format).
   */
  #invocationInput(message: ReceivedMessageItem, content: Buffer | string, popReceipt: string) {
    const text = typeof content === 'string' ? content : content.toString('utf8');
    const triggerData: RpcTypedData = typeof content === 'string' ? stringData(content) : { bytes: content };
    const triggerMetadata: Record<string, RpcTypedData> = {
      QueueTrigger: stringData(text),
      DequeueCount: jsonData(message.dequeueCount),
      ExpirationTime: jsonData(dotNetDate(message.expiresOn)),
      Id: stringData(message.messageId),
      InsertionTime: jsonData(dotNetDate(message.insertedOn)),
      NextVisibleTime: jsonData(dotNetDate(message.nextVisibleOn)),
      PopReceipt: stringData(popReceipt),
    };
    return { triggerData, triggerMetadata };
  }

  /** The message body per messageEncoding and the binding's dataType; undefined when base64 is invalid. */
  #decode(messageText: string): Buffer | string | undefined {
    const binary = this.target.dataType?.toLowerCase() === 'binary';
    if (this.options.messageEncoding === 'none') return binary ? Buffer.from(messageText, 'utf8') : messageText;
    const compact = messageText.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
    const bytes = Buffer.from(compact, 'base64');
    return binary ? bytes : bytes.toString('utf8');
  }

  async #release(messageId: string, popReceipt: string, visibilitySeconds: number): Promise<void> {
    try {
      await this.#queue.updateMessage(messageId, popReceipt, undefined, visibilitySeconds);
    } catch (error) {
      this.logger.host('warning', `Releasing message ${messageId} on "${this.target.queueName}" failed: ${errorMessage(error)}`);
    }
  }

  async #moveToPoison(message: ReceivedMessageItem, popReceipt: string): Promise<void> {
    const poisonName = `${this.target.queueName}-poison`;
    this.logger.host('warning', `Message ${message.messageId} has reached MaxDequeueCount of ${this.options.maxDequeueCount}. Moving message to queue '${poisonName}'.`);
    await this.#poisonQueue.createIfNotExists();
    // the stored text is copied as is, so the poison message keeps the original encoding
    await this.#poisonQueue.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, popReceipt);
  }
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  const inner = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
}

function integerOption(section: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const value = section[key];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`host.json extensions.queues.${key} is ${JSON.stringify(value)}: it must be a whole number from ${min} to ${max}`);
  return n;
}

function timeSpanOption(section: Record<string, unknown>, key: string, fallbackMs: number): number {
  const value = section[key];
  if (value === undefined) return fallbackMs;
  const ms = typeof value === 'string' ? parseTimeSpan(value) : undefined;
  if (ms === undefined) throw new Error(`host.json extensions.queues.${key} is ${JSON.stringify(value)}: it must be a time span like "00:00:30"`);
  return ms;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
