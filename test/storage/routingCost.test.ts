// What routes cost in storage transactions, measured with the storage meter in front of Azurite
// through the real adapters and use-cases: a policy without routes, a recipient no route matches, and
// a recipient its route sends through a smart host with no limits all cost what a delivery cost
// before routing (the cool-offs and suspensions are read from caches). The smart host is a stub
// answering 250 (SMTP is not what is measured); the figures are printed for the handoff.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayConfig } from '../../src/config';
import { EMPTY_POLICY, type DeliveryPolicy } from '../../src/core/policy/types';
import type { RelayDeps } from '../../src/relay/deps';
import { type MeteredRelay, startMeteredRelay } from '../support/meteredRelay';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const ROUTED: DeliveryPolicy = {
  ...EMPTY_POLICY,
  routes: [{ match: { recipientDomains: ['routed.test'] }, smartHosts: ['default'] }],
  source: 'test',
};

let relay: MeteredRelay;
let config: RelayConfig;
let deps: RelayDeps;
let number = 0;

before(async () => {
  relay = await startMeteredRelay();
  ({ config, deps } = relay);
});

after(() => relay?.stop());

test('storage transactions per delivery: no routes, a recipient no route matches, a routed recipient', FILE_TIMEOUT, async () => {
  // warm: the first send of an instance reads the sender's state and fills the caches once
  config.policy = ROUTED;
  const warm = await relay.acceptOne(`warm${++number}@routed.test`);
  await relay.deliveryCost(warm);

  config.policy = EMPTY_POLICY;
  const plain = await relay.acceptOne(`plain${++number}@unrouted.test`);
  const none = await relay.deliveryCost(plain);

  config.policy = ROUTED;
  const unmatched = await relay.acceptOne(`other${++number}@unrouted.test`);
  const noMatch = await relay.deliveryCost(unmatched);
  const matched = await relay.acceptOne(`routed${++number}@routed.test`);
  const routed = await relay.deliveryCost(matched);
  assert.equal((await deps.deliveries.get(matched.task.messageId, matched.task.recipient))?.row.smartHost, 'default');

  assert.equal(noMatch.ops, none.ops, `no route matched: ${noMatch.text}; no routes: ${none.text}`);
  assert.equal(routed.ops, none.ops, `routed: ${routed.text}; no routes: ${none.text}`);
  console.log(
    [
      `delivery, no routes: ${none.ops} (${none.text})`,
      `delivery, routes, none matching: ${noMatch.ops} (${noMatch.text})`,
      `delivery, routed (one host, no limits, a 250): ${routed.ops} (${routed.text})`,
    ].join('\n'),
  );
  config.policy = EMPTY_POLICY;
});
