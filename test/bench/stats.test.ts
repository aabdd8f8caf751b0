import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, ratePerSecond, ratio, summarize } from '../../bench/stats';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('percentiles are nearest-rank: an observed sample with at least p% at or below it', FILE_TIMEOUT, () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([5, 7, 9], 50), 7);
  assert.equal(percentile([5, 7, 9], 99), 9);
  assert.equal(percentile([42], 99), 42);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('summarize sorts its samples and reports p50, p95, p99, max and mean', FILE_TIMEOUT, () => {
  const samples = [30, 10, 20, 40, 1000, 50, 60, 70, 80, 90];
  assert.deepEqual(summarize(samples), { count: 10, p50: 50, p95: 1000, p99: 1000, max: 1000, mean: 145 });
  assert.deepEqual(summarize([3]), { count: 1, p50: 3, p95: 3, p99: 3, max: 3, mean: 3 });
});

test('rates and ratios', FILE_TIMEOUT, () => {
  assert.equal(ratePerSecond(300, 2000), 150);
  assert.ok(Number.isNaN(ratePerSecond(5, 0)));
  assert.equal(ratio(120, 150), 0.8);
  assert.equal(ratio(1, 3), 0.33);
  assert.ok(Number.isNaN(ratio(1, 0)));
});
