// Fault: the smart host refuses a recipient, for now (451) or for good (550). The statuses and attempt
// counts each case ends with are proven in test/functions/relayDelivery.test.ts; this adds what only
// the smart host's side and the events table show: how many RCPTs each recipient cost and the
// history recorded for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SMTPServerSession } from 'smtp-server';
import { message, RelayHarness, startRelayHarness } from '../support/relayHarness';
import { outcomeHistory, storedEvents } from '../support/storedResults';

const GREYLISTED = 'twice-refused@example.net'; // 451 to its first two RCPTs, then accepted
const GONE = 'bounce-gone@example.net'; // 550 (the development smart host's bounce- rule)

let relay: RelayHarness;
const rcptSeen = new Map<string, number>();

before(async () => {
  relay = await startRelayHarness({
    smartHost: {
      rules: {
        onRcpt(address: string, _session: SMTPServerSession) {
          const seen = (rcptSeen.get(address) ?? 0) + 1;
          rcptSeen.set(address, seen);
          if (address === GREYLISTED && seen <= 2) return { code: 451, message: '4.7.1 Try again later' };
          return undefined; // the development smart host's rules: bounce-* 550, grey-* 451, else accepted
        },
      },
    },
  });
});
after(async () => {
  await relay?.stop();
});

test('451 twice then 250: three RCPTs, one copy, deferred twice then sent; 550 once: bounced, one RCPT, never retried', async () => {
  // One message for both: the greylisted recipient's retries (after 1 s, then 2 s) run past the first
  // retry delay, so by the time it is sent a retry of the bounce would have happened.
  const answer = await relay.send(message({ to: [GREYLISTED, GONE] }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed', 30_000);
  const byAddress = Object.fromEntries(view.recipients.map((r) => [r.address, r]));
  assert.equal(byAddress[GREYLISTED].status, 'sent');
  assert.equal(byAddress[GREYLISTED].attempts, 3);
  assert.equal(byAddress[GONE].status, 'bounced');
  assert.equal(byAddress[GONE].attempts, 1);

  const events = await storedEvents(relay, [answer.body.id]);
  assert.deepEqual(outcomeHistory(events, GREYLISTED), ['deferred 1 451', 'deferred 2 451', 'sent 3 250']);
  assert.deepEqual(outcomeHistory(events, GONE), ['bounced 1 550']);
  const deferrals = events.filter((e) => e.status === 'deferred');
  assert.ok(deferrals.every((e) => e.response === '451 4.7.1 Try again later'), JSON.stringify(deferrals));

  assert.equal(relay.smartHost.countFor(GREYLISTED), 1);
  assert.equal(relay.smartHost.countFor(GONE), 0);
  assert.deepEqual(Object.fromEntries(rcptSeen), { [GREYLISTED]: 3, [GONE]: 1 });
});
