// Storage transactions per relayed message, counted by the storage meter: the accept (relay
// switched off), then the drain of the same messages (relay on), then idle polling with an empty
// queue, reported per second so that it does not hide in the per-message figure.
import type { RunningAzurite } from '../src/local/azurite';
import { runClosedLoop, ApiClient } from './load';
import { apiMessage } from './messages';
import { FUNCTION_KEY, startRelayHost, type RelayHost } from './relayHost';
import type { Sink } from './sink';
import { round } from './stats';
import { startStorageMeter, type OperationCount, type StorageMeter } from './storageMeter';

export interface OperationFigure extends OperationCount {
  perMessage: number;
}

export interface PhaseCost {
  /** requests per message, idle polls and start-up requests left out */
  perMessage: number;
  operations: OperationFigure[];
  /** empty GetMessages polls and create-if-missing calls at start-up */
  leftOut: OperationCount[];
}

export interface CostResult {
  messages: number;
  accept: PhaseCost;
  relay: PhaseCost;
  perMessage: number;
  idle: { seconds: number; requestsPerSecond: number; operations: Array<OperationCount & { perSecond: number }> };
  /** what the accept did, in order, for the raw-SDK baseline to repeat */
  acceptOperations: OperationCount[];
}

export interface CostOptions {
  azurite: RunningAzurite;
  sink: Sink;
  poolSize: number;
  messages: number;
  idleSeconds: number;
  log: (line: string) => void;
}

export function isOverhead(operation: string): boolean {
  return operation === 'GetMessages (empty)' || /^Create(Queue|Table|Container)$/.test(operation);
}

export function phaseCost(operations: OperationCount[], messages: number): PhaseCost {
  const counted = operations.filter((o) => !isOverhead(o.operation));
  const total = counted.reduce((sum, o) => sum + o.requests, 0);
  return {
    perMessage: round(total / messages, 2),
    operations: counted.map((o) => ({ ...o, perMessage: round(o.requests / messages, 2) })),
    leftOut: operations.filter((o) => isOverhead(o.operation)),
  };
}

export async function measureCost(options: CostOptions): Promise<CostResult> {
  const { sink, messages, log } = options;
  const meter = await startStorageMeter(options.azurite);
  let host: RelayHost | undefined;
  try {
    host = await startRelayHost({
      storageConnectionString: meter.connectionString,
      sink,
      poolSize: options.poolSize,
      relayEnabled: false,
      label: 'cost stage, accept',
    });
    const client = new ApiClient(host.url, FUNCTION_KEY);
    meter.reset();
    await runClosedLoop(messages, 8, (i) => client.send(apiMessage(`cost-${i}`)));
    const acceptOperations = meter.snapshot();
    client.close();
    await host.stop();

    log(`  cost: ${messages} accepted; draining them with the relay on`);
    sink.reset();
    meter.reset();
    host = await startRelayHost({
      storageConnectionString: meter.connectionString,
      sink,
      poolSize: options.poolSize,
      relayEnabled: true,
      label: 'cost stage, relay',
    });
    await sink.waitForCount(messages, Math.max(60_000, messages * 100));
    // an invocation's last storage call is the queue message's delete, after the SMTP send
    await waitForOperation(meter, 'DeleteMessage', messages, 30_000);
    const relayOperations = meter.snapshot();

    log(`  cost: idle polling for ${options.idleSeconds} s`);
    // the listeners back off to host.json maxPollingInterval (2 s) within about 4 s of an empty queue
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    meter.reset();
    await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
    const idleOperations = meter.snapshot();
    const idleTotal = idleOperations.reduce((sum, o) => sum + o.requests, 0);

    const accept = phaseCost(acceptOperations, messages);
    const relay = phaseCost(relayOperations, messages);
    return {
      messages,
      accept,
      relay,
      perMessage: round(accept.perMessage + relay.perMessage, 2),
      idle: {
        seconds: options.idleSeconds,
        requestsPerSecond: round(idleTotal / options.idleSeconds, 2),
        operations: idleOperations.map((o) => ({ ...o, perSecond: round(o.requests / options.idleSeconds, 2) })),
      },
      acceptOperations: acceptOperations.filter((o) => !isOverhead(o.operation)).sort((a, b) => a.firstSeen - b.firstSeen),
    };
  } finally {
    await host?.stop().catch(() => undefined);
    await meter.stop();
  }
}

async function waitForOperation(meter: StorageMeter, operation: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seen = () => meter.snapshot().find((o) => o.operation === operation)?.requests ?? 0;
  while (seen() < count) {
    if (Date.now() > deadline) throw new Error(`the storage meter saw ${seen()} ${operation} of ${count} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
