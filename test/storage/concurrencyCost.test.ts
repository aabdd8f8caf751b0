// What a message costs in storage transactions when accepts and deliveries run 8 at a time, measured
// with the storage meter in front of Azurite through the real adapters and use-cases: the index rows
// of concurrent accepts and the events of concurrent deliveries share transactions, so both phases
// cost less per message than one at a time (test/storage/shapingCost.test.ts counts that one), and
// under a rate rule of 100/s the events of sends paced 10 ms apart wait for each other. The figures
// depend on timing, so the assertions are bounds that fail without the group commits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_POLICY, type DeliveryPolicy } from '../../src/core/policy/types';
import { type MeteredRelay, startMeteredRelay, type QueuedTask } from '../support/meteredRelay';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const CONCURRENCY = 8;
const ROUNDS = 3;

/** one send every 10 ms to paced.test */
const PACED: DeliveryPolicy = {
  ...EMPTY_POLICY,
  destinations: [{ name: 'paced', domains: ['paced.test'], rate: [{ count: 6000, seconds: 60, text: '6000/min' }] }],
  source: 'test',
};

let relay: MeteredRelay;

before(async () => {
  relay = await startMeteredRelay();
});

after(() => relay?.stop());

test(`storage transactions per message at concurrency ${CONCURRENCY}: index rows and events share transactions`, FILE_TIMEOUT, async () => {
  // warm: the first send of an instance reads the sender's state once
  const warm = await relay.acceptOne('warm@example.net');
  await relay.deliveryCost(warm);
  const single = await relay.acceptOne('single@example.net');
  const one = { accept: single.accepted.transactions, relay: (await relay.deliveryCost(single)).transactions };

  let accepted = 0;
  let indexWrites = 0;
  const tasks: QueuedTask[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const recipients = Array.from({ length: CONCURRENCY }, (_, i) => `c${round}-${i}@example.net`);
    const { cost, tasks: queued } = await relay.acceptAtOnce(recipients);
    assert.equal(queued.length, CONCURRENCY);
    accepted += cost.transactions;
    // at accept, a single-recipient message upserts nothing but its index rows
    indexWrites += (cost.requests['table InsertOrReplaceEntity'] ?? 0) + (cost.requests['table EntityGroupTransaction'] ?? 0);
    tasks.push(...queued);
  }
  let relayed = 0;
  for (let i = 0; i < tasks.length; i += CONCURRENCY) {
    const costs = await relay.deliverAtOnce(tasks.slice(i, i + CONCURRENCY));
    relayed += costs.transactions;
  }
  const messages = CONCURRENCY * ROUNDS;
  const perMessage = { accept: accepted / messages, relay: relayed / messages, index: indexWrites / messages };
  console.log(
    `storage transactions per message, one at a time: ${one.accept} + ${one.relay}; ${CONCURRENCY} at a time: ` +
      `${perMessage.accept.toFixed(2)} + ${perMessage.relay.toFixed(2)} (index writes ${perMessage.index.toFixed(2)} per message)`,
  );
  // one at a time, each message's index rows are a write of their own: 1 per message
  assert.equal(one.accept, 4, 'suppression query, index row, task, deliveries row');
  assert.ok(perMessage.index <= 0.75, `index writes per message at concurrency ${CONCURRENCY}: ${perMessage.index}`);
  assert.ok(perMessage.accept < one.accept, `accept: ${perMessage.accept} per message against ${one.accept} alone`);
  assert.ok(perMessage.relay < one.relay, `relay: ${perMessage.relay} per message against ${one.relay} alone`);
});

test('under a rule of 100/s, the events of sends paced 10 ms apart share writes', FILE_TIMEOUT, async () => {
  const before = relay.config.policy;
  relay.config.policy = PACED;
  try {
    const warm = await relay.acceptOne('warm@paced.test');
    await relay.deliveryCost(warm);
    const tasks: QueuedTask[] = [];
    for (let round = 0; round < 6; round++) {
      tasks.push(...(await relay.acceptAtOnce(Array.from({ length: CONCURRENCY }, (_, i) => `p${round}-${i}@paced.test`))).tasks);
    }
    // all at once: each reserves its slot, waits for it, sends, and writes its event after the send
    const cost = await relay.deliverAtOnce(tasks);
    // in the delivery, nothing but the events is upserted
    const eventWrites = (cost.requests['table InsertOrReplaceEntity'] ?? 0) + (cost.requests['table EntityGroupTransaction'] ?? 0);
    console.log(`paced at 100/s: ${(eventWrites / tasks.length).toFixed(2)} event writes per message; relay ${(cost.transactions / tasks.length).toFixed(2)}`);
    // one by one they would be 1 per message
    assert.ok(eventWrites <= tasks.length * 0.85, `event writes for ${tasks.length} paced sends: ${eventWrites} (${cost.text})`);
  } finally {
    relay.config.policy = before;
  }
});
