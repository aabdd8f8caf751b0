// The shaping table adapter against Azurite, through the storage meter: racing reservers on
// separate clients never over-reserve a window, an uncontended reservation is one write, a lost
// race re-reads and never fails open, and concurrency leases are exclusive, given back, and taken
// over once a killed holder's lease has expired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestError, type TableClient } from '@azure/data-tables';
import { CLOCK_SKEW_MARGIN_MS, emissionIntervalMs } from '../../src/core/policy/gcra';
import type { RateWindow } from '../../src/core/policy/types';
import type { ThrottleLimit } from '../../src/relay/ports';
import { partitionKey, ThrottleContendedError, ThrottleStore, WRITE_TRIES } from '../../src/storage/throttleStore';
import { useMeteredAzurite } from '../support/meteredAzurite';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const PER_MIN_40: RateWindow = { count: 40, seconds: 60, text: '40/min' };
const PER_MIN_30: RateWindow = { count: 30, seconds: 60, text: '30/min' };
const NOW = new Date('2026-03-01T10:00:00.000Z');

const storage = useMeteredAzurite();
let keyNumber = 0;

/** A client of its own per instance, as separate processes would have. */
function instance(): ThrottleStore {
  return new ThrottleStore(storage.shapingTable());
}

function freshKey(kind = 'destination'): string {
  return `${kind}:test-${++keyNumber}`;
}

const tableCalls = () => storage.tableCalls();

/** The most slots any half-open window of `seconds` holds. */
function busiestWindow(times: readonly number[], seconds: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= seconds * 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

test('uncontended: the first reservation reads and creates the row, each later one is a single conditional write', FILE_TIMEOUT, async () => {
  const store = instance();
  const limit: ThrottleLimit = { key: freshKey(), windows: [PER_MIN_40] };
  storage.reset();
  const first = await store.reserve([limit], NOW);
  assert.deepEqual(tableCalls(), { GetEntity: 1, InsertEntity: 1 });
  storage.reset();
  const slots = [first.getTime()];
  for (let i = 0; i < 5; i++) slots.push((await store.reserve([limit], NOW)).getTime());
  assert.deepEqual(tableCalls(), { UpdateEntity: 5 });
  assert.deepEqual(
    slots.map((s) => s - NOW.getTime()),
    [0, 1, 2, 3, 4, 5].map((i) => i * emissionIntervalMs(PER_MIN_40)),
  );
});

test('four instances racing for two limits at once, each with a burst of its own, never over-reserve a window of either', FILE_TIMEOUT, async () => {
  const destination: ThrottleLimit = { key: freshKey(), windows: [PER_MIN_40] };
  const smartHost: ThrottleLimit = { key: freshKey('smartHost'), windows: [PER_MIN_30] };
  const destinationOnly: ThrottleLimit[] = [destination];
  const both: ThrottleLimit[] = [destination, smartHost];
  const instances = [instance(), instance(), instance(), instance()];
  storage.reset();
  // a backlog: everyone asks at the same moment; half the sends count against the smart host too
  const perInstance = await Promise.all(
    instances.map(async (store, n) => {
      const got: { slot: number; limits: ThrottleLimit[] }[] = [];
      // ten one after another, then ten at once (an instance's queue batch)
      for (let i = 0; i < 10; i++) {
        const limits = (n + i) % 2 === 0 ? both : destinationOnly;
        got.push({ slot: (await store.reserve(limits, NOW)).getTime(), limits });
      }
      const burst = Array.from({ length: 10 }, (_, i) => ((n + i) % 2 === 0 ? both : destinationOnly));
      const slots = await Promise.all(burst.map((limits) => store.reserve(limits, NOW)));
      return [...got, ...slots.map((slot, i) => ({ slot: slot.getTime(), limits: burst[i] }))];
    }),
  );
  const all = perInstance.flat();
  const destinationSlots = all.map((r) => r.slot);
  const smartHostSlots = all.filter((r) => r.limits === both).map((r) => r.slot);
  assert.equal(new Set(destinationSlots).size, 80, 'no slot handed out twice');
  assert.ok(busiestWindow(destinationSlots, 60) <= 40, `destination: ${busiestWindow(destinationSlots, 60)} in one minute`);
  assert.ok(busiestWindow(smartHostSlots, 60) <= 30, `smart host: ${busiestWindow(smartHostSlots, 60)} in one minute`);
  const sorted = [...destinationSlots].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i] - sorted[i - 1] >= emissionIntervalMs(PER_MIN_40) - 1e-6, `slots ${i - 1} and ${i} too close`);
  const calls = tableCalls();
  console.log(`80 racing reservations (40 under two limits): ${JSON.stringify(calls)}`);
  assert.ok((calls.UpdateEntity ?? 0) + (calls.InsertEntity ?? 0) >= 20 * 2 + 20, 'the forty one after another wrote each of their limits');
});

test('a row that keeps changing: the reservation gives up after its tries and throws, it never fails open', FILE_TIMEOUT, async () => {
  let writes = 0;
  const changing = {
    getEntity: () => Promise.resolve({ etag: 'W/"x"', tat: '{}' }),
    createEntity: () => Promise.reject(new RestError('exists', { statusCode: 409 })),
    updateEntity: () => {
      writes++;
      return Promise.reject(new RestError('changed', { statusCode: 412 }));
    },
  } as unknown as TableClient;
  const store = new ThrottleStore(changing, () => 0);
  await assert.rejects(store.reserve([{ key: 'destination:x', windows: [PER_MIN_40] }], NOW), ThrottleContendedError);
  assert.equal(writes, WRITE_TRIES);
});

test('a storage failure other than a lost race is thrown as it is', FILE_TIMEOUT, async () => {
  const down = { getEntity: () => Promise.reject(new RestError('unavailable', { statusCode: 503 })) } as unknown as TableClient;
  await assert.rejects(new ThrottleStore(down).reserve([{ key: 'destination:x', windows: [PER_MIN_40] }], NOW), /unavailable/);
});

test('leases: at most `concurrency` at once, busy says when the earliest ends, a release frees the place at one write', FILE_TIMEOUT, async () => {
  const key = freshKey();
  const a = instance();
  const b = instance();
  const until = new Date(NOW.getTime() + 40_000);
  const first = await a.acquire(key, 2, 'a-1', until, NOW);
  const second = await b.acquire(key, 2, 'b-1', new Date(NOW.getTime() + 50_000), NOW);
  assert.ok('place' in first && 'place' in second);
  assert.notEqual(first.place, second.place);
  const busy = await b.acquire(key, 2, 'b-2', until, NOW);
  assert.deepEqual(busy, { busyUntil: new Date(until.getTime() + CLOCK_SKEW_MARGIN_MS) });
  storage.reset();
  await a.release(first);
  const again = await a.acquire(key, 2, 'a-2', until, NOW);
  assert.ok('place' in again);
  assert.equal(again.place, first.place);
  assert.deepEqual(tableCalls(), { UpdateEntity: 2 }, 'one write to give the place back, one to take it again, no query');
});

test('five instances racing for one place: exactly one gets it', FILE_TIMEOUT, async () => {
  const key = freshKey();
  const until = new Date(NOW.getTime() + 40_000);
  const results = await Promise.all([0, 1, 2, 3, 4].map((n) => instance().acquire(key, 1, `o-${n}`, until, NOW)));
  assert.equal(results.filter((r) => 'place' in r).length, 1);
});

test(
  'a killed holder: its lease blocks until it expires (plus the skew margin), then another takes it over; its late release leaves the new one alone',
  FILE_TIMEOUT,
  async () => {
    const key = freshKey();
    const killed = instance();
    const other = instance();
    const expiry = new Date(NOW.getTime() + 5000);
    const dead = await killed.acquire(key, 1, 'killed', expiry, NOW);
    assert.ok('place' in dead);
    const justBefore = new Date(expiry.getTime() + CLOCK_SKEW_MARGIN_MS - 1);
    assert.ok('busyUntil' in (await other.acquire(key, 1, 'other', new Date(justBefore.getTime() + 40_000), justBefore)));
    const after = new Date(expiry.getTime() + CLOCK_SKEW_MARGIN_MS);
    const taken = await other.acquire(key, 1, 'other', new Date(after.getTime() + 40_000), after);
    assert.ok('place' in taken, 'taken over at expiry');
    await killed.release(dead);
    const table = storage.shapingTable();
    const row = await table.getEntity<Record<string, unknown>>(partitionKey(key), 'lease|0');
    assert.equal(row.owner, 'other');
  },
);

test('limit keys with characters Table keys refuse are escaped, not refused', FILE_TIMEOUT, async () => {
  assert.equal(partitionKey('destination:a/b#c?d\\e%'), 'destination:a%2fb%23c%3fd%5ce%25');
  const slot = await instance().reserve([{ key: 'destination:odd/name?', windows: [PER_MIN_40] }], NOW);
  assert.deepEqual(slot, NOW);
});
