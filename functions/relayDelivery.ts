import { app, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { deliverTask } from '../src/relay/deliverTask';
import { parseDeliveryTask } from '../src/core/deliveryTask';

const deps = relayDeps();

export async function relayDelivery(message: unknown, context: InvocationContext): Promise<void> {
  const task = parseDeliveryTask(message);
  // Thrown, a malformed task ends in the poison queue, where an operator can read it.
  if (!task) throw new Error(`queue message ${String(context.triggerMetadata?.id)} is not a delivery task`);
  const metadata = context.triggerMetadata ?? {};
  const dequeueCount = Number(metadata.dequeueCount);
  await deliverTask(deps, task, context, {
    queueMessageId: typeof metadata.id === 'string' ? metadata.id : undefined,
    // Unknown counts as a first delivery: the attempt number in the task still stops duplicates.
    dequeueCount: Number.isInteger(dequeueCount) && dequeueCount > 0 ? dequeueCount : 1,
  });
}

app.storageQueue('relayDelivery', { queueName: '%RELAY_QUEUE_NAME%', connection: 'AzureWebJobsStorage', handler: relayDelivery });

app.hook.appTerminate(async () => {
  for (const smartHost of deps.smartHosts.values()) smartHost.close();
  // the breaker's counts not yet written
  await deps.senders.close();
});
