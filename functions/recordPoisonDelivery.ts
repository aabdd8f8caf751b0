import { app, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { recordPoisonTask } from '../src/relay/recordPoison';
import { parseDeliveryTask } from '../src/core/deliveryTask';

const deps = relayDeps();

export async function recordPoisonDelivery(message: unknown, context: InvocationContext): Promise<void> {
  const task = parseDeliveryTask(message);
  if (!task) {
    context.error(`poison queue message ${String(context.triggerMetadata?.id)} is not a delivery task; dropped`);
    return;
  }
  await recordPoisonTask(deps, task, context);
}

app.storageQueue('recordPoisonDelivery', { queueName: '%RELAY_QUEUE_NAME%-poison', connection: 'AzureWebJobsStorage', handler: recordPoisonDelivery });
