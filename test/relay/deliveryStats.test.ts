// GET /api/v1/stats's use-case over the in-memory fakes: what it counts from the events, what it
// reads to count it (one query per hour), and how it refuses bad input or a storage failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryStats } from '../../src/relay/deliveryStats';
import { StorageUnavailableError, ValidationError } from '../../src/errors';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const NOW = new Date('2026-12-01T13:30:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

function seeded(): FakeRelay {
  const relay = new FakeRelay({}, NOW);
  relay.config.policy = {
    ...relay.config.policy,
    destinations: [{ name: 'jp-docomo', domains: ['docomo.ne.jp'], rate: [] }],
  };
  const row = (id: string, recipient: string, changes: Partial<DeliveryRow>) => queuedRow(id, NOW, { recipientKey: recipient, address: recipient, ...changes });
  const record = (at: Date, r: DeliveryRow) => void relay.events.recorded.push({ row: r, at });
  record(minutesAgo(5), row('m1', 'a@docomo.ne.jp', { status: 'sent', smtpCode: 250 }));
  record(minutesAgo(65), row('m2', 'b@docomo.ne.jp', { status: 'deferred', category: 'rate-limit', smtpCode: 421 }));
  record(minutesAgo(10), row('m2', 'b@docomo.ne.jp', { status: 'bounced', category: 'invalid-recipient', smtpCode: 550, response: '5.1.1 User unknown' }));
  record(minutesAgo(20), row('m3', 'c@example.net', { status: 'deferred', category: 'connection' }));
  record(minutesAgo(15), row('m3', 'c@example.net', { status: 'deferred', heldBy: 'rate:destination:other' }));
  record(
    minutesAgo(3),
    row('m4', 'd@example.net', {
      status: 'failed',
      response: 'the relay could not process this delivery (moved to deliveries-poison after repeated failures)',
    }),
  );
  // older than the window: not counted
  record(minutesAgo(60 * 30), row('m5', 'e@example.net', { status: 'bounced', category: 'policy' }));
  return relay;
}

test('counts outcomes per hour, by destination group, domain and category, from the events of the window', FILE_TIMEOUT, async () => {
  const relay = seeded();
  const stats = await deliveryStats(relay.deps, [['hours', '24']]);
  assert.equal(stats.perHour.length, 24);
  assert.equal(stats.perHour.at(-1)?.hour, '2026-12-01T13:00:00.000Z');
  assert.deepEqual(
    { sent: stats.perHour.at(-1)?.sent, bounced: stats.perHour.at(-1)?.bounced, deferred: stats.perHour.at(-1)?.deferred },
    { sent: 1, bounced: 1, deferred: 2 },
  );
  assert.equal(stats.perHour.at(-2)?.deferred, 1, 'the deferral 65 minutes ago is in the hour before');
  assert.deepEqual(
    stats.destinations.map((d) => [d.name, d.total]),
    [
      ['jp-docomo', 3],
      ['other', 3],
    ],
  );
  assert.deepEqual(
    stats.domains.map((d) => [d.name, d.counts.bounced, d.counts.sent]),
    [
      ['docomo.ne.jp', 1, 1],
      ['example.net', 0, 0],
    ],
  );
  assert.deepEqual(stats.categories.bounced, [{ category: 'invalid-recipient', count: 1 }]);
  assert.deepEqual(
    stats.categories.deferred.map((c) => c.category),
    ['connection', 'other', 'rate-limit'],
  );
  assert.deepEqual(
    stats.latestProblems.map((p) => [p.messageId, p.status, p.smtpCode]),
    [
      ['m4', 'failed', null],
      ['m2', 'bounced', 550],
    ],
  );
  assert.equal(stats.latestProblems[1]?.response, '5.1.1 User unknown');
  assert.deepEqual(stats.held, [{ heldBy: 'rate:destination:other', count: 1 }], 'held by its latest outcome');
  assert.equal(stats.poison, 1);
  assert.equal(stats.read.events, 6);
});

test('reads one hour partition per hour of the window, one page of suppressions, the suspensions and the cool-offs', FILE_TIMEOUT, async () => {
  const relay = seeded();
  relay.calls.length = 0;
  await deliveryStats(relay.deps, [['hours', '6']]);
  assert.deepEqual(
    [...relay.calls].sort(),
    [...Array<string>(6).fill('events.inHour'), 'suppressions.list', 'suspensions.list', 'smartHostHealth.list'].sort(),
  );
  relay.calls.length = 0;
  const stats = await deliveryStats(relay.deps, []);
  assert.equal(stats.hours, 24, 'a day unless asked');
  assert.equal(relay.calls.filter((c) => c === 'events.inHour').length, 24);
});

test('shows suspensions in force and the first suppression entries, none expired', FILE_TIMEOUT, async () => {
  const relay = seeded();
  await relay.suspensions.put({
    kind: 'destination',
    name: 'jp-docomo',
    reason: '421 too many connections',
    source: 'reaction',
    rule: 'docomo-421',
    createdAt: minutesAgo(5),
    until: minutesAgo(-55),
  });
  await relay.suppressions.put({ address: 'gone@example.net', scope: 'all', reason: 'user unknown', source: 'bounce', createdAt: minutesAgo(2) });
  await relay.suppressions.put({
    address: 'old@example.net',
    scope: 'all',
    reason: 'manual',
    source: 'manual',
    createdAt: minutesAgo(90),
    expiresAt: minutesAgo(1),
  });
  const stats = await deliveryStats(relay.deps, []);
  assert.deepEqual(
    stats.suspensions.map((s) => [s.kind, s.name, s.rule, s.until]),
    [['destination', 'jp-docomo', 'docomo-421', '2026-12-01T14:25:00.000Z']],
  );
  assert.deepEqual(
    stats.suppressions.entries.map((e) => e.address),
    ['gone@example.net'],
  );
  assert.equal(stats.suppressions.more, false);
});

test('shows the smart hosts cooling off now, not those whose cool-off has ended', FILE_TIMEOUT, async () => {
  const relay = seeded();
  relay.smartHostHealth.threshold = 2;
  relay.smartHostHealth.coolOffSeconds = 600;
  await relay.smartHostHealth.recordFailure('domestic', 'connect ECONNREFUSED', minutesAgo(3));
  await relay.smartHostHealth.recordFailure('domestic', '421 4.7.0 try later', minutesAgo(2));
  await relay.smartHostHealth.recordFailure('old', 'timeout', minutesAgo(30));
  await relay.smartHostHealth.recordFailure('old', 'timeout', minutesAgo(20));
  const stats = await deliveryStats(relay.deps, []);
  assert.deepEqual(stats.coolOffs, [
    { smartHost: 'domestic', until: minutesAgo(-8).toISOString(), failures: 2, since: minutesAgo(3).toISOString(), reason: '421 4.7.0 try later' },
  ]);
});

test('refuses a bad query naming the parameter, and reads nothing', FILE_TIMEOUT, async () => {
  for (const query of [
    [['hours', '0']],
    [['hours', '169']],
    [['hours', '2.5']],
    [['hours', '']],
    [
      ['hours', '1'],
      ['hours', '2'],
    ],
    [['limit', '5']],
  ] as [string, string][][]) {
    const relay = seeded();
    relay.calls.length = 0;
    await assert.rejects(deliveryStats(relay.deps, query), (err: unknown) => {
      assert.ok(err instanceof ValidationError, String(err));
      assert.equal(err.errors[0]?.field, query.at(-1)?.[0]);
      return true;
    });
    assert.deepEqual(relay.calls, [], JSON.stringify(query));
  }
  // the host's ?code= is the key, not a parameter of this endpoint
  await deliveryStats(seeded().deps, [['code', 'the-key']]);
});

test('a storage failure is StorageUnavailableError (503), whichever store fails', FILE_TIMEOUT, async () => {
  for (const operation of ['events.inHour', 'suppressions.list', 'suspensions.list', 'smartHostHealth.list']) {
    const relay = seeded();
    relay.fail(operation);
    await assert.rejects(deliveryStats(relay.deps, []), StorageUnavailableError, operation);
  }
});
