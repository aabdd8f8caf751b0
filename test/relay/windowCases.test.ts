// The shared cases of fixed-window counting (test/support/windowCases.ts) against FakeThrottles, the
// in-memory Throttles the unit tier uses; test/storage/windowCounts.test.ts runs the same cases
// against the shaping table, so the fake and storage are held to one behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeThrottles } from '../support/fakeShaping';
import { Faults } from '../support/fakes';
import { expected, runWindowCase, WINDOW_CASES } from '../support/windowCases';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

for (const c of WINDOW_CASES) {
  test(`FakeThrottles: ${c.name}`, FILE_TIMEOUT, async () => {
    assert.deepEqual(await runWindowCase(c, [new FakeThrottles([], new Faults())], 'warmup:'), expected(c));
  });
}
