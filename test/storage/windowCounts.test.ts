// ThrottleStore.reserveInWindows (the warm-up's fixed UTC windows) against Azurite, through the
// storage meter: the shared cases FakeThrottles passes too (one instance, and two taking turns with
// what each last saw gone stale), instances on clients of their own racing never count more than a
// cap in a window (hour and day caps of the sender and of the smart host together), what a
// reservation costs, and that a row that keeps changing throws rather than fail open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestError, type TableClient } from '@azure/data-tables';
import { windowStart } from '../../src/core/policy/warmup';
import type { ThrottleLimit } from '../../src/relay/ports';
import { partitionKey, ThrottleContendedError, ThrottleStore, WRITE_TRIES } from '../../src/storage/throttleStore';
import { expected, runWindowCase, WINDOW_CASES } from '../support/windowCases';
import { useMeteredAzurite } from '../support/meteredAzurite';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const NOW = new Date('2026-03-01T10:20:00.000Z');
const HOUR = 3600_000;

const storage = useMeteredAzurite();
let keyNumber = 0;

/** A client of its own per instance, as separate processes would have. */
function instance(): ThrottleStore {
  return new ThrottleStore(storage.shapingTable());
}

function freshPrefix(): string {
  return `warmup:test-${++keyNumber}:`;
}

const tableCalls = () => storage.tableCalls();

for (const c of WINDOW_CASES) {
  test(`the shared cases, one instance: ${c.name}`, FILE_TIMEOUT, async () => {
    assert.deepEqual(await runWindowCase(c, [instance()], freshPrefix()), expected(c));
  });
  test(`the shared cases, two instances taking turns: ${c.name}`, FILE_TIMEOUT, async () => {
    assert.deepEqual(await runWindowCase(c, [instance(), instance()], freshPrefix()), expected(c));
  });
}

test('four instances racing, sender and smart host with hour and day caps: no window counts more than its cap', FILE_TIMEOUT, async () => {
  const prefix = freshPrefix();
  const sender: ThrottleLimit = {
    key: `${prefix}sender`,
    windows: [
      { count: 5, seconds: 3600, text: '5/h' },
      { count: 12, seconds: 86400, text: '12/day' },
    ],
  };
  const smartHost: ThrottleLimit = { key: `${prefix}smartHost`, windows: [{ count: 4, seconds: 3600, text: '4/h' }] };
  const caps = new Map([...sender.windows.map((w) => [`${sender.key}|${w.seconds}`, w.count] as const), [`${smartHost.key}|3600`, 4]]);
  const instances = [instance(), instance(), instance(), instance()];
  storage.reset();
  // every instance a burst at once; two sends in three through the smart host too
  const placed = (
    await Promise.all(
      instances.map((store, n) =>
        Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            const limits = (n + i) % 3 === 0 ? [sender] : [sender, smartHost];
            return { limits, reservation: await store.reserveInWindows(limits, NOW) };
          }),
        ),
      ),
    )
  ).flat();
  console.log(`40 racing window reservations: ${JSON.stringify(tableCalls())}`);
  const inWindow = new Map<string, number>();
  for (const { limits, reservation } of placed) {
    assert.ok(reservation.at >= NOW);
    if (reservation.at > NOW) assert.ok(reservation.movedBy === sender.key || reservation.movedBy === smartHost.key);
    for (const limit of limits) {
      for (const w of limit.windows) {
        const id = `${limit.key}|${w.seconds}|${new Date(windowStart(reservation.at, w.seconds)).toISOString()}`;
        inWindow.set(id, (inWindow.get(id) ?? 0) + 1);
      }
    }
  }
  const table = storage.shapingTable();
  for (const [id, count] of inWindow) {
    const [key, seconds, start] = id.split('|');
    const cap = caps.get(`${key}|${seconds}`)!;
    assert.ok(count <= cap, `${id}: ${count} counted over the cap of ${cap}`);
    const row = await table.getEntity<Record<string, unknown>>(partitionKey(key), `win|${seconds}|${start}`);
    assert.equal(row.count, count, `${id}: the row counts what was handed out (a lost race's count given back)`);
  }
  // 40 sends at 12 a day: days 1-3 full, day 4 takes the rest
  const days = [...inWindow].filter(([id]) => id.startsWith(`${sender.key}|86400|`)).map(([, n]) => n);
  assert.deepEqual(days.sort(), [12, 12, 12, 4].sort());
});

test('cost: the first reservation queries each window series once and creates the rows; later ones are one write per row', FILE_TIMEOUT, async () => {
  const prefix = freshPrefix();
  const limits: ThrottleLimit[] = [
    {
      key: `${prefix}sender`,
      windows: [
        { count: 3, seconds: 3600, text: '3/h' },
        { count: 100, seconds: 86400, text: '100/day' },
      ],
    },
    { key: `${prefix}smartHost`, windows: [{ count: 50, seconds: 3600, text: '50/h' }] },
  ];
  const store = instance();
  storage.reset();
  await store.reserveInWindows(limits, NOW);
  const first = tableCalls();
  assert.deepEqual(first, { QueryEntities: 3, InsertEntity: 3 });
  storage.reset();
  await store.reserveInWindows(limits, NOW);
  await store.reserveInWindows(limits, NOW);
  const later = tableCalls();
  assert.deepEqual(later, { UpdateEntity: 6 });
  storage.reset();
  // the sender's hour is full: the next hour's row is new (known empty from the query), no read
  const moved = await store.reserveInWindows(limits, NOW);
  assert.deepEqual(moved, { at: new Date(windowStart(NOW, 3600) + HOUR), movedBy: `${prefix}sender` });
  const movedCalls = tableCalls();
  assert.deepEqual(movedCalls, { InsertEntity: 2, UpdateEntity: 1 });
  storage.reset();
  // another instance wrote meanwhile: one lost write, one read of that row, the write again
  await instance().reserveInWindows(limits, new Date(NOW.getTime() + HOUR));
  await store.reserveInWindows(limits, new Date(NOW.getTime() + HOUR));
  console.log(`window reservation cost: first ${JSON.stringify(first)}; uncontended two ${JSON.stringify(later)}; moved ${JSON.stringify(movedCalls)}`);
  const stale = tableCalls();
  console.log(`another instance's reservation, then this one's after it (stale): ${JSON.stringify(stale)}`);
  assert.deepEqual(stale, { QueryEntities: 3, UpdateEntity: 3 + 3 + 3, GetEntity: 3 }, 'the other: a query and a write per row; this: lost, read, written');
});

test('a window row that keeps changing: the reservation gives up after its tries and throws, it never fails open', FILE_TIMEOUT, async () => {
  let writes = 0;
  // stub: Azurite cannot be made to lose every race
  const changing = {
    listEntities: () => [],
    getEntity: () => Promise.reject(new RestError('not found', { statusCode: 404 })),
    createEntity: () => {
      writes++;
      return Promise.reject(new RestError('exists', { statusCode: 409 }));
    },
  } as unknown as TableClient;
  const store = new ThrottleStore(changing, () => 0);
  await assert.rejects(store.reserveInWindows([{ key: 'warmup:sender:x', windows: [{ count: 5, seconds: 3600, text: '5/h' }] }], NOW), ThrottleContendedError);
  assert.equal(writes, WRITE_TRIES);
});

test('a storage failure other than a lost race is thrown as it is', FILE_TIMEOUT, async () => {
  // stub: a storage account answering 503
  const down = {
    listEntities: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new RestError('unavailable', { statusCode: 503 })) }) }),
  } as unknown as TableClient;
  await assert.rejects(
    new ThrottleStore(down).reserveInWindows([{ key: 'warmup:sender:x', windows: [{ count: 5, seconds: 3600, text: '5/h' }] }], NOW),
    /unavailable/,
  );
});
