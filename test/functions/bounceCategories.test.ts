// The bounce category through the real functions: the development smart host refuses recipients by
// their prefix (src/local/README.md), and each one's category reaches the status answer and the
// events table row of every attempt.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { waitForEvents } from '../support/storedResults';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;
const rcptSeen = new Map<string, number>();

before(async () => {
  relay = await startRelayHarness({
    env: { RELAY_MAX_RETRY_SECONDS: '4' }, // retries at about 1 and 3 s, then failed
    smartHost: {
      rules: {
        onRcpt(address) {
          const seen = (rcptSeen.get(address) ?? 0) + 1;
          rcptSeen.set(address, seen);
          // Gmail's per-recipient rate limit once, then accepted. (Not a 421: nodemailer's pool retries a
          // send whose session a 421 closed on a new connection, within the same attempt.)
          if (address.startsWith('slowly-') && seen === 1) {
            return { code: 450, message: '4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages' };
          }
          return undefined; // the prefixes' defaults
        },
      },
    },
  });
});
after(async () => {
  await relay?.stop();
});

/** recipient → [final status, category in the status answer] */
const EXPECTED: Record<string, [string, string | null]> = {
  'bounce-gone@example.net': ['bounced', 'invalid-recipient'],
  'full-box@example.net': ['bounced', 'mailbox-full'],
  'policy-no@example.net': ['bounced', 'policy'],
  'blocked-ip@example.net': ['bounced', 'reputation'],
  'ratelimit-slow@example.net': ['failed', 'rate-limit'],
  'toomany-rcpt@example.net': ['failed', 'rate-limit'],
  'grey-list@example.net': ['failed', 'other'],
  'slowly-then-fine@example.net': ['sent', null],
  'fine@example.net': ['sent', null],
};

test('each refusal ends with its category in the status answer and in the events table', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: Object.keys(EXPECTED) }));
  assert.equal(answer.status, 202, answer.text);
  const id = answer.body.id;
  const view = await relay.waitForStatus(id, (v) => v.status === 'completed', 30_000);
  assert.deepEqual(Object.fromEntries(view.recipients.map((r) => [r.address, [r.status, r.category]])), EXPECTED);

  const finals = new Set(['sent', 'bounced', 'failed']);
  const events = await waitForEvents(relay, [id], (all) => Object.keys(EXPECTED).every((to) => all.some((e) => e.recipient === to && finals.has(e.status))));
  const history = (to: string) => events.filter((e) => e.recipient === to && e.status !== 'queued').map((e) => `${e.status} ${e.category ?? '-'}`);
  assert.deepEqual(history('bounce-gone@example.net'), ['bounced invalid-recipient']);
  assert.deepEqual(history('blocked-ip@example.net'), ['bounced reputation']);
  assert.deepEqual(history('fine@example.net'), ['sent -']);
  // A deferral records its reply's category; the sent that follows clears it.
  assert.deepEqual(history('slowly-then-fine@example.net'), ['deferred rate-limit', 'sent -']);
  // Retries run out: every deferral and the failure carry the last reply's category.
  const tooMany = history('toomany-rcpt@example.net');
  assert.ok(tooMany.length >= 2, tooMany.join(', '));
  assert.deepEqual(new Set(tooMany.slice(0, -1)), new Set(['deferred rate-limit']));
  assert.equal(tooMany[tooMany.length - 1], 'failed rate-limit');
  assert.equal(relay.smartHost.countFor('toomany-rcpt@example.net'), 0);
});
