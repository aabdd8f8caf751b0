// The suppression list's change marks against Azurite, through the storage meter: every write of an
// entry touches its address's mark, a delivery's question is answered by a read made after it was
// asked, deliveries asking at the same moment share reads, a write marks one bucket of addresses and
// not the others, and the marks never show up in an operator's list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStorageClients } from '../../src/storage/clients';
import { SuppressionStore } from '../../src/storage/suppressionStore';
import { markOf } from '../../src/storage/suppressionChanges';
import { LIST_CHANGE_MARGIN_MS, type SuppressionEntry } from '../../src/core/suppression';
import { useMeteredAzurite } from '../support/meteredAzurite';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const storage = useMeteredAzurite();

function entry(address: string): SuppressionEntry {
  return { address, scope: 'all', reason: 'user unknown', source: 'bounce', createdAt: new Date() };
}

/** A store of its own, as another instance would have. */
const instance = () => new SuppressionStore(createStorageClients(storage.settings()).suppressions);
/** A lookup time past the margin after now: a mark written now is before it. */
const later = () => new Date(Date.now() + LIST_CHANGE_MARGIN_MS + 1000);

/** Two addresses whose marks differ. */
function twoBuckets(): [string, string] {
  const first = 'a0@example.net';
  for (let i = 1; ; i++) if (markOf(`a${i}@example.net`) !== markOf(first)) return [first, `a${i}@example.net`];
}

test('no marks yet: the first reader cannot tell and writes them, in one transaction; the next can', FILE_TIMEOUT, async () => {
  storage.reset();
  assert.equal(await instance().changedSince('x@example.net', later()), true);
  assert.deepEqual(storage.tableCalls(), { QueryEntities: 1, EntityGroupTransaction: 1 });
  assert.equal(await instance().changedSince('x@example.net', later()), false);
});

test('a write touches its mark: a lookup before it sees a change, one after it does not', FILE_TIMEOUT, async () => {
  const writer = instance();
  const reader = instance();
  const [gone, other] = twoBuckets();
  await reader.changedSince(gone, new Date()); // the marks exist, written at about marked
  const marked = Date.now();
  // a lookup after the marks were written and before the entry is: Azurite's clock is this machine's
  const lookup = new Date(marked + 150 + LIST_CHANGE_MARGIN_MS);
  while (Date.now() < marked + 300) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(await reader.changedSince(gone, lookup), false, 'nothing written since the lookup');
  storage.reset();
  await writer.put(entry(gone));
  assert.deepEqual(storage.tableCalls(), { InsertOrReplaceEntity: 2, InsertEntity: 1 }, 'the mark before and after the entry');
  assert.equal(await reader.changedSince(gone, lookup), true, 'an entry written after the lookup');
  assert.equal(await reader.changedSince(other, lookup), false, 'an address of another bucket is not affected');
  assert.equal(await reader.changedSince(gone, later()), false, 'a lookup made after it, past the margin');
  assert.equal(await reader.changedSince(gone, new Date(Date.now() + LIST_CHANGE_MARGIN_MS / 2)), true, 'within the margin counts as before');
});

test('deliveries asking at the same moment share one read; those asking during a read get the next one', FILE_TIMEOUT, async () => {
  const reader = instance();
  await reader.changedSince('warm@example.net', new Date());
  storage.reset();
  const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => reader.changedSince(`r${i}@example.net`, later())));
  assert.deepEqual(answers, Array(16).fill(false));
  // the first starts a read at once; the 15 that asked while it was in flight share the next one
  assert.deepEqual(storage.tableCalls(), { QueryEntities: 2 });
});

test("the marks are no entries: absent from the operators' list, filtered or not", FILE_TIMEOUT, async () => {
  const store = instance();
  await store.put(entry('listed@example.net'));
  for (const query of [{ limit: 1000 }, { limit: 1000, source: 'bounce' as const }]) {
    const page = await store.list(query);
    assert.ok(page.items.length > 0);
    assert.ok(
      page.items.every((e) => e.address.includes('@')),
      JSON.stringify(page.items.map((e) => e.address)),
    );
  }
});
