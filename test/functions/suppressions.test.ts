// The suppression list through the real functions in the local host, against Azurite and the
// development smart host: a 550 5.1.1 puts the address on the list and the next send to it is not
// made; operators' entries (manual, sender-scoped, expired) stop sends or not as the contract says,
// at accept and again just before an attempt.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { SuppressionStore } from '../../src/storage/suppressionStore';
import type { AddressView, SuppressionListPage, SuppressionView } from '../../src/relay/suppressionList';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;
/** every RCPT TO the smart host was given, in lower case */
const rcptSeen: string[] = [];

before(async () => {
  relay = await startRelayHarness({
    smartHost: {
      rules: {
        onRcpt(address: string) {
          rcptSeen.push(address.toLowerCase());
          // "later-" recipients are greylisted on every attempt: they stay deferred until something else ends them
          return address.toLowerCase().startsWith('later-') ? { code: 451, message: '4.7.1 Greylisted, try again later' } : undefined;
        },
      },
    },
  });
});
after(async () => {
  await relay?.stop();
});

function rcptsFor(address: string): number {
  return rcptSeen.filter((a) => a === address.toLowerCase()).length;
}

function operator<Body>(method: string, pathname: string, body?: unknown) {
  return relay.request<Body>(method, pathname, { key: ADMIN_KEY, body });
}

test('550 5.1.1, then a second send to the address: suppressed in the 202, no second SMTP transaction', FILE_TIMEOUT, async () => {
  const first = await relay.send(message({ to: 'bounce-gone@example.net' }));
  assert.equal(first.status, 202, first.text);
  const bounced = await relay.waitForStatus(first.body.id, (v) => v.status === 'completed');
  assert.equal(bounced.recipients[0].status, 'bounced');
  const entry = await eventually('the bounce on the suppression list', async () => {
    const answer = await operator<AddressView>('GET', '/api/v1/suppressions/bounce-gone@example.net');
    return answer.status === 200 ? answer.body : undefined;
  });
  assert.equal(entry.address, 'bounce-gone@example.net');
  assert.equal(entry.scope, 'all');
  assert.equal(entry.source, 'bounce');
  assert.equal(entry.category, 'invalid-recipient');
  assert.equal(entry.messageId, first.body.id);
  assert.match(entry.reason, /^550 5\.1\.1 /);
  assert.ok(entry.expiresAt && Date.parse(entry.expiresAt) - Date.parse(entry.createdAt) === 30 * 86_400_000, 'RELAY_SUPPRESSION_DAYS default 30');
  assert.equal(rcptsFor('bounce-gone@example.net'), 1);

  const second = await relay.send(message({ to: ['Bounce-Gone@example.net', 'still-here@example.net'] }));
  assert.equal(second.status, 202, second.text);
  assert.deepEqual(second.body.recipients, [
    { address: 'Bounce-Gone@example.net', status: 'suppressed' },
    { address: 'still-here@example.net', status: 'queued' },
  ]);
  const done = await relay.waitForStatus(second.body.id, (v) => v.status === 'completed');
  assert.deepEqual(
    done.recipients.map((r) => [r.status, r.category]),
    [
      ['suppressed', 'invalid-recipient'],
      ['sent', null],
    ],
  );
  assert.match(
    done.recipients[0].response ?? '',
    /^not sent: bounce-gone@example\.net is on the suppression list for every sender until .* \(source bounce: 550 5\.1\.1 /,
  );
  assert.equal(rcptsFor('bounce-gone@example.net'), 1, 'no second SMTP transaction to the address');
  assert.equal(rcptsFor('still-here@example.net'), 1);
});

test('a manual entry suppresses; every recipient suppressed is completed at once; DELETE lets it through again', FILE_TIMEOUT, async () => {
  const put = await operator<SuppressionView>('PUT', '/api/v1/suppressions/Manual+Tag@example.net', { reason: 'asked us to stop by phone' });
  assert.equal(put.status, 201, put.text);
  assert.deepEqual(
    { ...put.body, createdAt: undefined },
    {
      address: 'manual+tag@example.net',
      scope: 'all',
      reason: 'asked us to stop by phone',
      category: null,
      source: 'manual',
      createdAt: undefined,
      expiresAt: null,
      messageId: null,
    },
  );
  const replaced = await operator<SuppressionView>('PUT', '/api/v1/suppressions/manual%2Btag%40example.net', { reason: 'asked us to stop, in writing' });
  assert.equal(replaced.status, 200, replaced.text);

  const suppressed = await relay.send(message({ to: 'manual+tag@example.net' }));
  assert.equal(suppressed.status, 202, suppressed.text);
  assert.equal(suppressed.body.status, 'completed');
  assert.deepEqual(suppressed.body.recipients, [{ address: 'manual+tag@example.net', status: 'suppressed' }]);
  const view = await relay.status(suppressed.body.id);
  assert.equal(view.status, 'completed');
  assert.equal(
    view.recipients[0].response,
    'not sent: manual+tag@example.net is on the suppression list for every sender (source manual: asked us to stop, in writing)',
  );

  // an Idempotency-Key replay answers the same, even after the entry is gone
  const keyed = await relay.send(message({ to: 'manual+tag@example.net' }), { 'Idempotency-Key': 'suppressed-replay' });
  assert.equal(keyed.body.status, 'completed');

  const removed = await operator('DELETE', '/api/v1/suppressions/manual+tag@example.net');
  assert.equal(removed.status, 204, removed.text);
  assert.equal((await operator('GET', '/api/v1/suppressions/manual+tag@example.net')).status, 404);
  assert.equal((await operator('DELETE', '/api/v1/suppressions/manual+tag@example.net')).status, 404);

  const replayed = await relay.send(message({ to: 'manual+tag@example.net' }), { 'Idempotency-Key': 'suppressed-replay' });
  assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(replayed.body, keyed.body);

  const sent = await relay.send(message({ to: 'manual+tag@example.net' }));
  assert.deepEqual(sent.body.recipients, [{ address: 'manual+tag@example.net', status: 'queued' }]);
  const done = await relay.waitForStatus(sent.body.id, (v) => v.status === 'completed');
  assert.equal(done.recipients[0].status, 'sent');
  assert.equal(relay.smartHost.countFor('manual+tag@example.net'), 1);
});

test('a sender-scoped entry suppresses for that sender domain only, and DELETE ?scope= removes just it', FILE_TIMEOUT, async () => {
  const address = 'scoped@example.net';
  assert.equal((await operator('PUT', `/api/v1/suppressions/${address}`, { reason: 'unsubscribed from the newsletter', scope: 'Example.COM' })).status, 201);
  assert.equal((await operator('PUT', `/api/v1/suppressions/${address}`, { reason: 'a second scope', scope: 'other.example' })).status, 201);
  const got = await operator<AddressView>('GET', `/api/v1/suppressions/${address}`);
  assert.deepEqual(
    got.body.entries.map((e) => e.scope),
    ['example.com', 'other.example'],
  );

  const fromCom = await relay.send(message({ from: 'news@example.com', to: address }));
  assert.deepEqual(fromCom.body.recipients, [{ address, status: 'suppressed' }]);
  const fromJp = await relay.send(message({ from: 'app@example.jp', to: address }));
  assert.deepEqual(fromJp.body.recipients, [{ address, status: 'queued' }]);
  assert.equal((await relay.waitForStatus(fromJp.body.id, (v) => v.status === 'completed')).recipients[0].status, 'sent');
  assert.match((await relay.status(fromCom.body.id)).recipients[0].response ?? '', /for sender domain example\.com/);

  assert.equal((await operator('DELETE', `/api/v1/suppressions/${address}?scope=example.com`)).status, 204);
  const left = await operator<AddressView>('GET', `/api/v1/suppressions/${address}`);
  assert.deepEqual(
    left.body.entries.map((e) => e.scope),
    ['other.example'],
  );
});

test('an expired entry does not apply, and the API answers as if it were gone', FILE_TIMEOUT, async () => {
  const store = new SuppressionStore(relay.clients.suppressions);
  const now = Date.now();
  await store.put({
    address: 'expired@example.net',
    scope: 'all',
    reason: '550 5.1.1 user unknown',
    category: 'invalid-recipient',
    source: 'bounce',
    createdAt: new Date(now - 31 * 86_400_000),
    expiresAt: new Date(now - 86_400_000),
  });
  assert.equal((await operator('GET', '/api/v1/suppressions/expired@example.net')).status, 404);
  const sent = await relay.send(message({ to: 'expired@example.net' }));
  assert.deepEqual(sent.body.recipients, [{ address: 'expired@example.net', status: 'queued' }]);
  assert.equal((await relay.waitForStatus(sent.body.id, (v) => v.status === 'completed')).recipients[0].status, 'sent');
});

test('an address suppressed after accept, before its next attempt, is not sent', FILE_TIMEOUT, async () => {
  const address = 'later-suppressed@example.net';
  const sent = await relay.send(message({ to: address }));
  assert.deepEqual(sent.body.recipients, [{ address, status: 'queued' }]);
  await relay.waitForStatus(sent.body.id, (v) => v.recipients[0].status === 'deferred');
  assert.equal((await operator('PUT', `/api/v1/suppressions/${address}`, { reason: 'the recipient asked us to stop' })).status, 201);
  const done = await relay.waitForStatus(sent.body.id, (v) => v.status === 'completed');
  assert.equal(done.recipients[0].status, 'suppressed');
  assert.equal(done.recipients[0].response, `not sent: ${address} is on the suppression list for every sender (source manual: the recipient asked us to stop)`);
  assert.equal(done.recipients[0].nextAttemptAt, null);
  assert.equal(relay.smartHost.countFor(address), 0);
  // attempted (and greylisted) before the entry, and the attempt that found the entry made no RCPT
  assert.ok(done.recipients[0].attempts >= 1);
  assert.equal(rcptsFor(address), done.recipients[0].attempts);
});

test('the list pages with its token, filters by domain and source; the key is accepted in ?code= too', FILE_TIMEOUT, async () => {
  for (const local of ['p1', 'p2', 'p3']) {
    assert.equal((await operator('PUT', `/api/v1/suppressions/${local}@paged.example`, { reason: 'paging' })).status, 201);
  }
  const seen: string[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const query: string = `domain=PAGED.example&source=manual&limit=2${token ? `&continuationToken=${token}` : ''}`;
    const page = await operator<SuppressionListPage>('GET', `/api/v1/suppressions?${query}`);
    assert.equal(page.status, 200, page.text);
    assert.ok(page.body.items.length <= 2);
    seen.push(...page.body.items.map((i) => i.address));
    token = page.body.continuationToken;
    pages++;
  } while (token !== null && pages < 10);
  assert.deepEqual(seen.sort(), ['p1@paged.example', 'p2@paged.example', 'p3@paged.example']);
  assert.ok(pages >= 2, 'more than one page');
  const bounces = await operator<SuppressionListPage>('GET', '/api/v1/suppressions?domain=paged.example&source=bounce');
  assert.deepEqual(bounces.body.items, []);

  const byCode = await relay.request<SuppressionListPage>('GET', `/api/v1/suppressions?domain=paged.example&code=${ADMIN_KEY}`, { key: null });
  assert.equal(byCode.status, 200, byCode.text);
  assert.equal(byCode.body.items.length, 3);
});
