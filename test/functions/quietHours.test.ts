// Quiet hours through the real functions: a destination whose hours exclude the current time holds
// its recipient. The status answer shows it `queued`, `heldBy` hours:destination:<name> and
// `nextAttemptAt` at the window's opening; nothing reaches the smart host for it, while the same
// message's recipient of a domain no destination lists is sent at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

/** The window opens two hours from now (to the minute, UTC) and closes an hour later: now is outside it. */
const OPENING = new Date(Math.floor((Date.now() + 2 * 3600_000) / 60_000) * 60_000);
const hhmm = (at: Date) => at.toISOString().slice(11, 16);
const POLICY = {
  destinations: {
    'test-carrier': {
      domains: ['example.net'],
      hours: { from: hhmm(OPENING), to: hhmm(new Date(OPENING.getTime() + 3600_000)), timeZone: 'UTC' },
    },
  },
};

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_POLICY_JSON: JSON.stringify(POLICY) } });
});
after(async () => {
  await relay?.stop();
});

test('outside its hours a recipient is held to the opening and not sent; another domain is sent', FILE_TIMEOUT, async () => {
  const accepted = await relay.send(message({ to: ['held@example.net', 'free@example.org'] }));
  assert.equal(accepted.status, 202);
  const view = await relay.waitForStatus(accepted.body.id, (v) => {
    const held = v.recipients.find((r) => r.address === 'held@example.net');
    const free = v.recipients.find((r) => r.address === 'free@example.org');
    return held?.heldBy !== null && held?.heldBy !== undefined && free?.status === 'sent';
  });
  assert.equal(view.status, 'queued');
  const held = view.recipients.find((r) => r.address === 'held@example.net')!;
  assert.equal(held.status, 'queued');
  assert.equal(held.heldBy, 'hours:destination:test-carrier');
  assert.equal(held.nextAttemptAt, OPENING.toISOString());
  assert.equal(held.attempts, 0);
  const label = `message ${accepted.body.id} to held@example.net`;
  await eventually('the hold logged', () => relay.hostOutput.find((l) => l.includes(`${label}: held, destination test-carrier takes mail`)));
  assert.equal(relay.smartHost.messages.filter((m) => m.to.includes('held@example.net')).length, 0, 'nothing reached the smart host');
  assert.equal(relay.smartHost.messages.filter((m) => m.to.includes('free@example.org')).length, 1);
});
