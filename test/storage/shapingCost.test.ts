// What the shared limits cost in storage transactions, measured with the storage meter in front of
// Azurite through the real adapters and use-cases: a recipient no rule covers costs what it did, one
// rule adds one conditional write per send, and a held recipient adds the hold's row write, its
// requeue and the claim of the requeued task. The smart host is a stub answering 250 (SMTP is not
// what is measured); the figures are printed for the handoff and the docs (docs/adr/0009).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayConfig } from '../../src/config';
import type { DeliveryTask } from '../../src/core/deliveryTask';
import { EMPTY_POLICY, type DeliveryPolicy, type WarmupPlan } from '../../src/core/policy/types';
import type { RelayDeps } from '../../src/relay/deps';
import type { StorageClients } from '../../src/storage/clients';
import { ThrottleStore } from '../../src/storage/throttleStore';
import { type MeteredRelay, startMeteredRelay } from '../support/meteredRelay';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const POLICY: DeliveryPolicy = {
  ...EMPTY_POLICY,
  destinations: [{ name: 'limited', domains: ['limited.test'], rate: [{ count: 40, seconds: 60, text: '40/min' }] }],
  source: 'test',
};

let relay: MeteredRelay;
let config: RelayConfig;
let clients: StorageClients;
let deps: RelayDeps;
let number = 0;

before(async () => {
  relay = await startMeteredRelay();
  ({ config, clients, deps } = relay);
});

after(() => relay?.stop());

test('storage transactions per message: no rule, one rule, and a held recipient', FILE_TIMEOUT, async () => {
  // warm: the first send of an instance reads the sender's state and the shaping row once
  config.policy = POLICY;
  const warm = await relay.acceptOne(`warm${++number}@limited.test`);
  await relay.deliveryCost(warm);

  config.policy = EMPTY_POLICY;
  const plain = await relay.acceptOne(`plain${++number}@limited.test`);
  const unruled = await relay.deliveryCost(plain);

  config.policy = POLICY;
  const ruled = await relay.acceptOne(`ruled${++number}@limited.test`);
  const oneRule = await relay.deliveryCost(ruled);
  assert.equal(oneRule.ops, unruled.ops + 1, `one rule: ${oneRule.text}; none: ${unruled.text}`);

  // a backlog takes the next minute's slots (40 reservations, in one batch): this recipient must wait for its turn
  const limit = [{ key: 'destination:limited', windows: POLICY.destinations[0].rate }];
  await Promise.all(Array.from({ length: 40 }, () => deps.throttles.reserve(limit, new Date())));
  const waiting = await relay.acceptOne(`held${++number}@limited.test`);
  const requeued: { task: DeliveryTask; delaySeconds?: number }[] = [];
  const enqueue = deps.queue.enqueue.bind(deps.queue);
  deps.queue.enqueue = (task, delaySeconds) => {
    requeued.push({ task, delaySeconds });
    return enqueue(task, delaySeconds);
  };
  const hold = await relay.deliveryCost(waiting);
  deps.queue.enqueue = enqueue;
  assert.equal(requeued.length, 1);
  const slot = new Date(requeued[0].task.slotAt!);
  const atSlot = await relay.deliveryCost({ task: requeued[0].task, queueMessageId: 'requeued-1' }, () => new Date(slot));
  assert.equal((await deps.deliveries.get(waiting.task.messageId, waiting.task.recipient))?.row.status, 'sent');
  // extra over a send under the rule: 4 writes (the hold's row write and its event, the requeue, the
  // claim of the requeued task) and the second invocation's 2 reads (the row, the suppression list)
  const heldExtra = hold.ops + atSlot.ops - oneRule.ops;
  assert.equal(heldExtra, 6, `held: ${hold.text}; at its slot: ${atSlot.text}; one rule: ${oneRule.text}`);

  // the same when another instance wrote the row since this one did: a 412, a read, the write again
  await new ThrottleStore(clients.shaping).reserve(limit, new Date());
  const contended = await relay.acceptOne(`contended${++number}@limited.test`);
  const raced = await relay.deliveryCost(contended);
  assert.equal(raced.ops, hold.ops + 2, `after another instance's write: ${raced.text}`);

  console.log(
    [
      `accept (one recipient): ${ruled.accepted.ops} (${ruled.accepted.text})`,
      `delivery, no rule: ${unruled.ops} (${unruled.text})`,
      `delivery, one rule: ${oneRule.ops} (${oneRule.text})`,
      `held: ${hold.ops} (${hold.text}), then at its slot: ${atSlot.ops} (${atSlot.text})`,
      `held extra over a send under the rule: ${heldExtra}, plus the host's receive and delete of the requeued task`,
      `a reservation after another instance wrote the row: +2 (${raced.text})`,
    ].join('\n'),
  );
});

test('storage transactions per message: a sender on its warm-up ramp (hour and day caps)', FILE_TIMEOUT, async () => {
  const yesterday = new Date(Math.floor(Date.now() / 86400_000) * 86400_000 - 86400_000);
  // today is day 1 of the ramp, tomorrow day 2: the caps are in force whenever the test runs
  const warmup: WarmupPlan = {
    kind: 'sender',
    name: 'example.com',
    startsAt: yesterday,
    steps: [
      { day: 0, perHour: 1000, perDay: 10000 },
      { day: 2, perHour: 1000, perDay: 10000 },
    ],
  };
  config.policy = EMPTY_POLICY;
  const plain = await relay.acceptOne(`plain${++number}@unlimited.test`);
  const unruled = await relay.deliveryCost(plain);

  config.policy = { ...EMPTY_POLICY, warmup: [warmup], source: 'test' };
  // the first warm-up send of an instance queries each window series once (and creates the rows)
  const first = await relay.acceptOne(`first${++number}@unlimited.test`);
  const firstCost = await relay.deliveryCost(first);
  const next = await relay.acceptOne(`warm${++number}@unlimited.test`);
  const counted = await relay.deliveryCost(next);
  assert.equal(counted.ops, unruled.ops + 2, `warm-up: ${counted.text}; none: ${unruled.text}`);
  console.log(
    [
      `delivery, no rule: ${unruled.ops} (${unruled.text})`,
      `delivery, warm-up (hour and day caps), an instance's first: ${firstCost.ops} (${firstCost.text})`,
      `delivery, warm-up (hour and day caps): ${counted.ops} (${counted.text})`,
    ].join('\n'),
  );
  config.policy = EMPTY_POLICY;
});
