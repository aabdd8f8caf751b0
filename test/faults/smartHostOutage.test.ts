// Fault: the smart host goes down in the middle of a load, until every recipient accepted by then has
// been tried at least once. What the outage catches is
// deferred and retried until it is back, then sent; nothing is lost and, with no crash on the relay's
// side, nothing is sent twice. (One message through a short outage: test/functions/relayDelivery.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { addresses, sendEach, waitUntilAllFinal } from '../support/load';
import { outcomeHistory, outcomes, storedDeliveries, waitForEvents } from '../support/storedResults';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

const PER_PHASE = 50;

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_RETRY_FIRST_DELAY_SECONDS: '1', RELAY_RETRY_MAX_DELAY_SECONDS: '4' } });
});
after(async () => {
  await relay?.stop();
});

test('smart host down under load: caught recipients deferred then sent, every recipient exactly once', FILE_TIMEOUT, async () => {
  // Before: the outage starts once half of these have reached the smart host.
  const beforeOutage = await sendEach(relay, addresses('before', PER_PHASE));
  await eventually('half of the first messages at the smart host', () => (relay.smartHost.messages.length >= PER_PHASE / 2 ? true : undefined), 60_000);
  await relay.smartHost.pause();
  // During: accepted as usual, but no attempt can succeed.
  const duringOutage = await sendEach(relay, addresses('during', PER_PHASE));
  const sentBeforeResume = relay.smartHost.messages.length;
  // The outage lasts until it has caught all it can: every recipient so far is sent or deferred.
  await eventually(
    'every recipient accepted so far to be sent or deferred',
    async () => {
      const rows = await storedDeliveries(relay);
      const tried = (a: { id: string; address: string }) => ['sent', 'deferred'].includes(String(rows.get(`${a.id}/${a.address.toLowerCase()}`)?.status));
      return [...beforeOutage, ...duringOutage].every(tried) ? true : undefined;
    },
    60_000,
  );
  assert.equal(relay.smartHost.messages.length, sentBeforeResume, 'nothing arrives while the smart host is down');
  await relay.smartHost.resume();
  // After: the smart host is up again.
  const afterOutage = await sendEach(relay, addresses('after', PER_PHASE));

  const accepted = [...beforeOutage, ...duringOutage, ...afterOutage];
  const rows = await waitUntilAllFinal(relay, accepted, 90_000);
  assert.deepEqual(
    [...rows.values()].filter((r) => r.status !== 'sent'),
    [],
    'every recipient is sent',
  );
  const attempts = (address: string) => Number(rows.get(address)!.attempts);
  const events = await waitForEvents(
    relay,
    accepted.map((a) => a.id),
    outcomes(accepted.reduce((n, a) => n + attempts(a.address), 0)),
    30_000,
  );

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
  assert.deepEqual(
    duringOutage.filter((a) => attempts(a.address) < 2).map((a) => a.address),
    [],
  );
  assert.deepEqual(
    afterOutage.filter((a) => attempts(a.address) !== 1).map((a) => a.address),
    [],
  );
  const caught = accepted.filter((a) => attempts(a.address) > 1).length;
  console.log(`outage: ${accepted.length} recipients, ${caught} deferred at least once, ${deferrals.length} deferrals in all: ${[...reasons].join(' | ')}`);

  assert.deepEqual(
    accepted.filter((a) => relay.smartHost.countFor(a.address) !== 1).map((a) => a.address),
    [],
    'exactly one copy each',
  );
  assert.equal(relay.smartHost.messages.length, 3 * PER_PHASE);
});
