// The delivery policy through the real functions: a recipient whose destination takes smaller
// messages than this one is not sent and ends `bounced` at accept (message-too-large, the limit
// named, nothing queued for it), while its fellow recipient elsewhere is sent; and the host refuses
// to start on a bad policy, naming it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const POLICY = { destinations: { small: { domains: ['small.example'], maxMessageBytes: 2000 } } };

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_POLICY_JSON: JSON.stringify(POLICY) } });
});
after(async () => {
  await relay?.stop();
});

test('over its destination maxMessageBytes: bounced at accept, message-too-large, nothing sent; the other recipient is sent', FILE_TIMEOUT, async () => {
  const accepted = await relay.send(message({ to: ['big@small.example', 'big@example.net'], text: 'x'.repeat(3000) }));
  assert.equal(accepted.status, 202);
  assert.deepEqual(accepted.body.recipients, [
    { address: 'big@small.example', status: 'bounced' },
    { address: 'big@example.net', status: 'queued' },
  ]);
  const atAccept = await relay.status(accepted.body.id);
  assert.equal(atAccept.recipients.find((r) => r.address === 'big@small.example')?.status, 'bounced', 'final at once: no task to wait for');
  const view = await relay.waitForStatus(accepted.body.id, (v) => v.status === 'completed');
  const small = view.recipients.find((r) => r.address === 'big@small.example');
  const other = view.recipients.find((r) => r.address === 'big@example.net');
  assert.equal(small?.status, 'bounced');
  assert.equal(small?.category, 'message-too-large');
  assert.equal(small?.attempts, 0, 'no attempt was made');
  assert.match(small?.response ?? '', /^not sent: the message is \d{4} bytes; destination small accepts at most 2000 \(maxMessageBytes\)$/);
  assert.equal(other?.status, 'sent');
  assert.equal(relay.smartHost.countFor('big@small.example'), 0);
  // the size the check reads is on the row as stored, not only in the task
  const stored = await relay.clients.deliveries.getEntity<{ messageBytes: number }>(accepted.body.id, 'big@small.example');
  assert.ok(stored.messageBytes > 3000 && stored.messageBytes < 4000, `messageBytes ${stored.messageBytes}`);
  assert.match(small?.response ?? '', new RegExp(`is ${stored.messageBytes} bytes`));
  assert.equal(relay.smartHost.countFor('big@example.net'), 1);

  const suppression = await relay.request('GET', '/api/v1/suppressions/big@small.example', { key: ADMIN_KEY });
  assert.equal(suppression.status, 404, 'the address is not suppressed');

  const fits = await relay.send(message({ to: 'fits@small.example', text: 'short' }));
  const sent = await relay.waitForStatus(fits.body.id, (v) => v.status === 'completed');
  assert.equal(sent.recipients[0]?.status, 'sent', 'a message under the limit is sent');
});

test('the host logs the policy it runs on once, at start-up', FILE_TIMEOUT, () => {
  const lines = relay.hostOutput.filter((l) => l.includes('Delivery policy (RELAY_POLICY_JSON): '));
  assert.equal(lines.length, 1, relay.hostOutput.slice(0, 20).join('\n'));
  assert.match(lines[0] ?? '', /destinations: small <=2000B, jp-docomo 60\/min x1 240min, /);
});

test('the host refuses to start on a bad policy, with the file and the problem', FILE_TIMEOUT, async () => {
  const bad = JSON.stringify({ destinations: { docomo: { preset: 'jp-docomo', rate: '30/mn' } } });
  await assert.rejects(relay.restartHostWith({ RELAY_POLICY_JSON: bad }), (err: Error) => {
    assert.match(err.message, /exited with code 1 before it listened/);
    assert.match(
      err.message,
      /Invalid relay settings:\n {2}- RELAY_POLICY_JSON: \/destinations\/docomo\/rate: "30\/mn" is not a rate \(write N\/s, N\/min, N\/h or N\/day\)/,
    );
    return true;
  });
});
