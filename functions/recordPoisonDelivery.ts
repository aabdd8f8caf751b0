import { app, InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { recordPoisonTask } from '../src/relay/recordPoison';
import { createStorageClients } from '../src/storage/clients';
import { DeliveryQueue, parseDeliveryTask } from '../src/storage/deliveryQueue';

const deps = relayDeps();
// Where a task goes back to when storage stays down while it is recorded (see recordPoison.ts).
const poisonQueue = new DeliveryQueue(createStorageClients(deps.config).poisonQueue);

export async function recordPoisonDelivery(message: unknown, context: InvocationContext): Promise<void> {
  const task = parseDeliveryTask(message);
  if (!task) {
    context.error(`poison queue message ${String(context.triggerMetadata?.id)} is not a delivery task; dropped`);
    return;
  }
  await recordPoisonTask(deps, task, context, (t, delaySeconds) => poisonQueue.enqueue(t, delaySeconds));
}

app.storageQueue('recordPoisonDelivery', { queueName: '%RELAY_QUEUE_NAME%-poison', connection: 'AzureWebJobsStorage', handler: recordPoisonDelivery });
