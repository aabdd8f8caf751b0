// What a destination's charset and maxMessageBytes cost in storage transactions, measured with the
// storage meter in front of Azurite through the real adapters and use-cases: a small ISO-2022-JP
// message costs what a UTF-8 one does (its body travels in the task), a large one writes one blob per
// charset its recipients need, and a recipient bounced at accept costs no task and no delivery. The
// smart host is a stub answering 250 (SMTP is not what is measured); the figures are for the handoff.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RelayConfig } from '../../src/config';
import { checkPolicy } from '../../src/core/policy/check';
import { EMPTY_POLICY, type DeliveryPolicy } from '../../src/core/policy/types';
import { type Cost, type MeteredRelay, type QueuedTask, startMeteredRelay } from '../support/meteredRelay';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

function policy(json: unknown): DeliveryPolicy {
  const checked = checkPolicy(json, 'test');
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.policy;
}

const CHARSET = policy({
  builtIn: false,
  destinations: { docomo: { domains: ['docomo.ne.jp'], charset: 'iso-2022-jp' }, small: { domains: ['small.test'], maxMessageBytes: 1000 } },
});

let relay: MeteredRelay;
let config: RelayConfig;
let number = 0;

before(async () => {
  relay = await startMeteredRelay();
  ({ config } = relay);
});

after(() => relay?.stop());

/** Accepts one message and takes its tasks off the queue, as the host would. */
function accept(to: string[], text: string) {
  return relay.accept({ to, subject: 'ご予約の確認', text });
}

function deliveryCost(queued: QueuedTask): Promise<Cost> {
  return relay.deliveryCost(queued);
}

test('storage transactions: ISO-2022-JP small and large, and a recipient bounced at accept', FILE_TIMEOUT, async () => {
  config.policy = CHARSET;
  const warm = await accept([`warm${++number}@example.net`], 'こんにちは');
  await deliveryCost(warm.tasks[0]);

  config.policy = EMPTY_POLICY;
  const plain = await accept([`taro${++number}@docomo.ne.jp`], 'こんにちは');
  const plainDelivery = await deliveryCost(plain.tasks[0]);

  config.policy = CHARSET;
  const iso = await accept([`taro${++number}@docomo.ne.jp`], 'こんにちは');
  const isoDelivery = await deliveryCost(iso.tasks[0]);
  assert.equal(iso.cost.ops, plain.cost.ops, `ISO-2022-JP accept: ${iso.cost.text}; UTF-8: ${plain.cost.text}`);
  assert.equal(isoDelivery.ops, plainDelivery.ops, `ISO-2022-JP delivery: ${isoDelivery.text}; UTF-8: ${plainDelivery.text}`);

  const large = 'ご予約ありがとうございます。'.repeat(3000);
  config.policy = EMPTY_POLICY;
  const plainLarge = await accept([`taro${++number}@docomo.ne.jp`], large);
  config.policy = CHARSET;
  const isoLarge = await accept([`taro${++number}@docomo.ne.jp`], large);
  assert.equal(isoLarge.cost.ops, plainLarge.cost.ops, `large, docomo only: one blob either way (${isoLarge.cost.text})`);
  const mixedLarge = await accept([`taro${++number}@docomo.ne.jp`, `user${number}@example.net`], large);
  const mixedPlain = await accept([`taro${++number}@example.org`, `user${number}@example.net`], large);
  assert.equal(mixedLarge.cost.ops, mixedPlain.cost.ops + 1, `large, both charsets: one blob more (${mixedLarge.cost.text})`);
  const isoLargeDelivery = await deliveryCost(isoLarge.tasks[0]);

  const oversized = await accept([`big${++number}@small.test`], 'x'.repeat(2000));
  assert.equal(oversized.tasks.length, 0, 'nothing queued');

  console.log(
    [
      `accept, one recipient, UTF-8: ${plain.cost.ops} (${plain.cost.text}); ISO-2022-JP: ${iso.cost.ops} (${iso.cost.text})`,
      `delivery, UTF-8: ${plainDelivery.ops}; ISO-2022-JP (inline): ${isoDelivery.ops} (${isoDelivery.text})`,
      `accept, large, docomo only: UTF-8 ${plainLarge.cost.ops}, ISO-2022-JP ${isoLarge.cost.ops} (${isoLarge.cost.text}); delivery from the ISO-2022-JP blob: ${isoLargeDelivery.ops} (${isoLargeDelivery.text})`,
      `accept, large, docomo and another: ${mixedLarge.cost.ops} (${mixedLarge.cost.text}) against ${mixedPlain.cost.ops} in UTF-8 alone`,
      `accept, bounced at accept (too large): ${oversized.cost.ops} (${oversized.cost.text}), no delivery`,
    ].join('\n'),
  );
});
