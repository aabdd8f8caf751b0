// Fault: the smart host is down for 30 seconds in the middle of a load. What the outage catches is
// deferred and retried until it is back, then sent; nothing is lost and, with no crash on the relay's
// side, nothing is sent twice. (One message through a short outage: test/functions/relayDelivery.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, RelayHarness, startRelayHarness } from '../support/relayHarness';
import { addresses, sendEach, waitUntilAllFinal } from '../support/load';
import { outcomeHistory, storedEvents } from '../support/storedResults';

const PER_PHASE = 50;
const OUTAGE_MS = 30_000;

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_RETRY_FIRST_DELAY_SECONDS: '1', RELAY_RETRY_MAX_DELAY_SECONDS: '4' } });
});
after(async () => {
  await relay?.stop();
});

test('smart host down 30 s under load: caught recipients deferred then sent, every recipient exactly once', async () => {
  // Before: the outage starts once half of these have reached the smart host.
  const beforeOutage = await sendEach(relay, addresses('before', PER_PHASE));
  await eventually('half of the first messages at the smart host', () => (relay.smartHost.messages.length >= PER_PHASE / 2 ? true : undefined), 60_000);
  await relay.smartHost.pause();
  const pausedAt = Date.now();
  // During: accepted as usual, but no attempt can succeed.
  const duringOutage = await sendEach(relay, addresses('during', PER_PHASE));
  const sentBeforeResume = relay.smartHost.messages.length;
  await eventually('the outage to last 30 s', () => (Date.now() - pausedAt >= OUTAGE_MS ? true : undefined), OUTAGE_MS + 5_000);
  assert.equal(relay.smartHost.messages.length, sentBeforeResume, 'nothing arrives while the smart host is down');
  await relay.smartHost.resume();
  // After: the smart host is up again.
  const afterOutage = await sendEach(relay, addresses('after', PER_PHASE));

  const accepted = [...beforeOutage, ...duringOutage, ...afterOutage];
  const rows = await waitUntilAllFinal(relay, accepted, 90_000);
  assert.deepEqual([...rows.values()].filter((r) => r.status !== 'sent'), [], 'every recipient is sent');
  const events = await storedEvents(relay, accepted.map((a) => a.id));
  const attempts = (address: string) => Number(rows.get(address)!.attempts);

  for (const { address } of accepted) {
    // Each attempt left exactly one event: a deferral per failed attempt, then the one that was sent.
    const n = attempts(address);
    const expected = [...Array.from({ length: n - 1 }, (_, i) => `deferred ${i + 1} -`), `sent ${n} 250`];
    assert.deepEqual(outcomeHistory(events, address), expected, address);
  }
  const deferrals = events.filter((e) => e.status === 'deferred');
  // Refused connections, and connections cut when the smart host went down: network errors, no SMTP reply.
  const reasons = new Set(deferrals.map((e) => e.response!.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:<port>')));
  for (const reason of reasons) assert.match(reason, /^(ECONNECTION|ESOCKET): /);
  // Everything accepted during the outage was tried while the smart host was down; nothing after it was.
  assert.deepEqual(duringOutage.filter((a) => attempts(a.address) < 2).map((a) => a.address), []);
  assert.deepEqual(afterOutage.filter((a) => attempts(a.address) !== 1).map((a) => a.address), []);
  const caught = accepted.filter((a) => attempts(a.address) > 1).length;
  console.log(`outage: ${accepted.length} recipients, ${caught} deferred at least once, ${deferrals.length} deferrals in all: ${[...reasons].join(' | ')}`);

  assert.deepEqual(accepted.filter((a) => relay.smartHost.countFor(a.address) !== 1).map((a) => a.address), [], 'exactly one copy each');
  assert.equal(relay.smartHost.messages.length, 3 * PER_PHASE);
});
