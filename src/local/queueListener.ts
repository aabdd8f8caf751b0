// Storage queue triggers: one listener per `app.storageQueue(...)` registration, behaving like the
// Functions host's queue listener (Microsoft.Azure.WebJobs.Extensions.Storage.Queues) configured by
// host.json `extensions.queues`: exponential back-off polling, batches, a bound on concurrent
// invocations, visibility renewal, retries through the visibility timeout and a poison queue (none for
// a queue whose name already ends in "-poison", as QueueListenerFactory.CreatePoisonQueueReference decides).
import { randomUUID } from 'node:crypto';
import { QueueServiceClient, type QueueClient, type ReceivedMessageItem } from '@azure/storage-queue';
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from './functionsCore';
import type { HostLogger } from './hostLog';
import { describeError } from './httpTrigger';
import type { InFlightWork } from './inFlight';
import { dotNetDate, invokeRegisteredFunction, jsonData, stringData, triggerBindingOf } from './invocation';
import { mergeMessageProperties } from './triggerMetadata';
import type { WorkerLifetime } from './workerLifetime';
import { minimumPollingIntervalMs, type QueueListenerOptions } from './queueOptions';

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
        throw new Error(
          `Function "${name}": the queue name ${expression} refers to the setting ${setting}, which is not set ('${expression}' does not resolve to a value)`,
        );
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
  /** undefined when the extension would give the queue none: failed messages then stay invisible */
  readonly #poisonQueue?: QueueClient;
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
    private readonly worker: WorkerLifetime,
  ) {
    // Few, short retries: a storage outage shows up in the log within seconds instead of minutes.
    const service = QueueServiceClient.fromConnectionString(target.connectionString, {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 30_000 },
    });
    this.#queue = service.getQueueClient(target.queueName);
    const poisonName = poisonQueueNameFor(target.queueName);
    if (poisonName) this.#poisonQueue = service.getQueueClient(poisonName);
  }

  /** Creates the queue if it is missing (the host does the same) and starts polling. */
  async start(): Promise<void> {
    try {
      await this.#queue.createIfNotExists();
    } catch (error) {
      throw new Error(`Function "${this.target.fn.metadata.name}": cannot reach or create queue "${this.target.queueName}": ${errorMessage(error)}`, {
        cause: error,
      });
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
    const renewal = setInterval(
      () => {
        renewing = renewing
          .then(() => this.#queue.updateMessage(message.messageId, popReceipt, undefined, leaseSeconds))
          .then((r) => void (popReceipt = r.popReceipt ?? popReceipt))
          .catch((error) => this.logger.host('warning', `Renewing the lease of message ${message.messageId} failed: ${errorMessage(error)}`));
      },
      (leaseSeconds * 1000) / 2,
    );
    this.#renewals.add(renewal);
    const endRenewal = async () => {
      clearInterval(renewal);
      await renewing;
    };
    const functionName = this.target.fn.metadata.name;
    try {
      if (message.dequeueCount > this.options.maxDequeueCount) {
        await this.#handlePoison(message, popReceipt);
        return;
      }
      const content = this.#decode(message.messageText);
      if (content === undefined) {
        this.logger.host('warning', `Message ${message.messageId} on "${this.target.queueName}" is not valid base64 (host.json messageEncoding is base64)`);
        await this.#handlePoison(message, popReceipt);
        return;
      }
      const invocationId = randomUUID();
      const started = Date.now();
      this.logger.core({
        level: 'information',
        category: 'system',
        functionName,
        invocationId,
        message: `Executing (Reason='New queue message detected on '${this.target.queueName}'.', Id=${message.messageId}, DequeueCount=${message.dequeueCount})`,
      });
      try {
        const input = this.#invocationInput(message, content, popReceipt);
        await this.worker.run(functionName, () => invokeRegisteredFunction(this.registry, this.target.fn, input, invocationId));
      } catch (error) {
        this.logger.core({
          level: 'error',
          category: 'system',
          functionName,
          invocationId,
          message: `Executed (Failed, Id=${message.messageId}, Duration=${Date.now() - started}ms): ${describeError(error)}`,
        });
        await endRenewal();
        if (!this.#poisonQueue) {
          // QueueProcessor.CompleteProcessingMessageAsync releases nothing here, to avoid a fast loop.
          this.logger.host(
            'warning',
            `Message ${message.messageId} on "${this.target.queueName}" stays invisible until its ${leaseSeconds}-second lease runs out: a queue whose name ends in "-poison" has no poison queue of its own`,
          );
        } else if (message.dequeueCount >= this.options.maxDequeueCount) await this.#handlePoison(message, popReceipt);
        else await this.#release(message.messageId, popReceipt, Math.round(this.options.visibilityTimeoutMs / 1000));
        return;
      }
      this.logger.core({
        level: 'information',
        category: 'system',
        functionName,
        invocationId,
        message: `Executed (Succeeded, Id=${message.messageId}, Duration=${Date.now() - started}ms)`,
      });
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
    const queueMetadata: Record<string, RpcTypedData> = {
      QueueTrigger: stringData(text),
      DequeueCount: jsonData(message.dequeueCount),
      ExpirationTime: jsonData(dotNetDate(message.expiresOn)),
      Id: stringData(message.messageId),
      InsertionTime: jsonData(dotNetDate(message.insertedOn)),
      NextVisibleTime: jsonData(dotNetDate(message.nextVisibleOn)),
      PopReceipt: stringData(popReceipt),
    };
    return { triggerData, triggerMetadata: mergeMessageProperties(queueMetadata, text) };
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

  /**
   * QueueProcessor.HandlePoisonMessageAsync: moves the message to the poison queue; without one it does
   * nothing, so the message comes back after each lease, is never processed and expires with its TTL.
   */
  async #handlePoison(message: ReceivedMessageItem, popReceipt: string): Promise<void> {
    const poisonQueue = this.#poisonQueue;
    if (!poisonQueue) {
      this.logger.host(
        'warning',
        `Message ${message.messageId} on "${this.target.queueName}" has been dequeued ${message.dequeueCount} times (MaxDequeueCount ${this.options.maxDequeueCount}) and has no poison queue: it is not processed again, and stays until it expires`,
      );
      return;
    }
    this.logger.host(
      'warning',
      `Message ${message.messageId} has reached MaxDequeueCount of ${this.options.maxDequeueCount}. Moving message to queue '${poisonQueue.name}'.`,
    );
    await poisonQueue.createIfNotExists();
    // the stored text is copied as is, so the poison message keeps the original encoding
    await poisonQueue.sendMessage(message.messageText);
    await this.#queue.deleteMessage(message.messageId, popReceipt);
  }
}

/** The poison queue the extension pairs with a queue, or undefined when it pairs none. */
export function poisonQueueNameFor(queueName: string): string | undefined {
  const candidate = `${queueName}-poison`;
  if (queueName.endsWith('-poison') || candidate.length > 63) return undefined;
  return candidate;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
