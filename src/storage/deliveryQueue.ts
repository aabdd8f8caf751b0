// Delivery tasks on the storage queue: sending and taking back. What a task holds and how it is read
// is the wire contract in src/core/deliveryTask.ts.
import { type QueueClient } from '@azure/storage-queue';
import type { DeliveryTask } from '../core/deliveryTask';
import type { EnqueuedTask, TaskQueue } from '../relay/ports';

/** Must match host.json extensions.queues.messageEncoding (a test holds them together). */
export const QUEUE_MESSAGE_ENCODING = 'none';

export class DeliveryQueue implements TaskQueue {
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
