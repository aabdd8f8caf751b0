// Delivery tasks on the storage queue: one queue message per recipient, carrying ids only.
import { QueueClient } from '@azure/storage-queue';

/** Must match host.json extensions.queues.messageEncoding (a test holds them together). */
export const QUEUE_MESSAGE_ENCODING = 'none';

export interface DeliveryTask {
  v: 1;
  messageId: string;
  recipient: string;
}

export interface EnqueuedTask {
  queueMessageId: string;
  popReceipt: string;
}

/** Reads a task from the trigger's input, which the host hands over parsed when it is JSON. */
export function parseDeliveryTask(input: unknown): DeliveryTask | undefined {
  const value = typeof input === 'string' ? safeJson(input) : input;
  if (value === null || typeof value !== 'object') return undefined;
  const { v, messageId, recipient } = value as Record<string, unknown>;
  if (v !== 1 || typeof messageId !== 'string' || typeof recipient !== 'string' || !messageId || !recipient) return undefined;
  return { v, messageId, recipient };
}

export class DeliveryQueue {
  constructor(private readonly queue: QueueClient) {}

  async enqueue(task: DeliveryTask, delaySeconds = 0): Promise<EnqueuedTask> {
    const response = await this.queue.sendMessage(JSON.stringify(task), {
      visibilityTimeout: delaySeconds > 0 ? Math.ceil(delaySeconds) : undefined,
      messageTimeToLive: -1, // never expire: a task's life is bounded by RELAY_MAX_RETRY_SECONDS instead
    });
    return { queueMessageId: response.messageId, popReceipt: response.popReceipt };
  }

  async delete(task: EnqueuedTask): Promise<void> {
    await this.queue.deleteMessage(task.queueMessageId, task.popReceipt);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
