import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions } from '../../bench/options';
import { achievedPerMinute, extraPerHold, shapingPolicy, shapingVerdict, slidingWindowMax, steadyPart } from '../../bench/shapingFigures';
import { shapingTargets } from '../../bench/shapingReport';
import type { ShapingResult } from '../../bench/shaping';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

/** `count` arrivals `gapMs` apart from `startMs` */
const paced = (count: number, gapMs: number, startMs = 0) => Array.from({ length: count }, (_, i) => startMs + i * gapMs);

test('the busiest window counts arrivals in [t, t + window) and may start at any arrival', FILE_TIMEOUT, () => {
  assert.equal(slidingWindowMax([], 60_000), 0);
  assert.equal(slidingWindowMax([5], 60_000), 1);
  // 600/min spread evenly: one every 100 ms, for two minutes
  assert.equal(slidingWindowMax(paced(1200, 100), 60_000), 600);
  // an arrival exactly one window after another is in the next window, not this one
  assert.equal(slidingWindowMax([0, 60_000], 60_000), 1);
  assert.equal(slidingWindowMax([0, 59_999], 60_000), 2);
  // a burst in the middle of a paced run is found wherever it sits
  const burst = [...paced(100, 1000), ...paced(30, 10, 50_500)].sort((a, b) => a - b);
  assert.equal(slidingWindowMax(burst, 60_000), 90);
  assert.equal(slidingWindowMax(burst, 1000), 31);
});

test('the steady part runs from the first arrival plus the skip to the end of the load', FILE_TIMEOUT, () => {
  const times = paced(100, 1000, 2000); // 2 s .. 101 s
  assert.deepEqual(steadyPart(times, 10_000, 90_000), { fromMs: 12_000, toMs: 90_000 });
  // when the sink went quiet before the load ended, the part ends at the last arrival
  assert.deepEqual(steadyPart(times, 10_000, 200_000), { fromMs: 12_000, toMs: 101_000 });
  assert.equal(steadyPart([], 10_000, 90_000), undefined);
  assert.equal(steadyPart(times, 100_000, 90_000), undefined);
});

test('the achieved rate is the count within the steady part over its length, per minute', FILE_TIMEOUT, () => {
  // 10/s is 600/min, whatever start-up looked like before the part
  const times = [...paced(50, 10), ...paced(900, 100, 1000)];
  assert.equal(achievedPerMinute(times, { fromMs: 10_000, toMs: 70_000 }), 600);
  assert.equal(achievedPerMinute(paced(600, 200), { fromMs: 0, toMs: 60_000 }), 300);
  assert.ok(Number.isNaN(achievedPerMinute(times, undefined)));
});

test('the verdict: within 5 % below the limit is held, any window above it is not enforced', FILE_TIMEOUT, () => {
  assert.equal(shapingVerdict(600, 600, 600), 'held');
  assert.equal(shapingVerdict(600, 570, 598), 'held');
  assert.equal(shapingVerdict(600, 569.9, 580), 'below the limit');
  assert.equal(shapingVerdict(600, 598, 601), 'not enforced');
  assert.equal(shapingVerdict(600, 900, 900), 'not enforced');
  assert.equal(shapingVerdict(600, 605, 600), 'not enforced');
});

test('extra transactions per hold compare the held run with the same messages sent without waiting', FILE_TIMEOUT, () => {
  // 100 messages at 5 each without waiting; held: 99 holds cost 297 more
  assert.equal(extraPerHold(797, 5, 100, 99), 3);
  assert.equal(extraPerHold(500, 5, 100, 50), 0);
  assert.ok(Number.isNaN(extraPerHold(500, 5, 100, 0)));
});

test('the policy each run passes to its hosts is the contract shape', FILE_TIMEOUT, () => {
  assert.deepEqual(JSON.parse(shapingPolicy('bench-2-hosts', 'bench.example', 600)), {
    destinations: { 'bench-2-hosts': { domains: ['bench.example'], rate: '600/min' } },
  });
});

test('targets: a run above the limit is not met, nothing held is not met', FILE_TIMEOUT, () => {
  const run = (instances: number, verdict: 'held' | 'not enforced', ratio: number) => ({
    instances,
    loadPerMinute: 900,
    seconds: 60,
    posted: 900,
    refused: 0,
    arrived: 900,
    steady: { fromSeconds: 9, toSeconds: 60 },
    achievedPerMinute: ratio * 600,
    busiestWindow: 600,
    ratio,
    verdict,
  });
  const cost = { perMessage: 2.75, operations: [], leftOut: [] };
  const phase = {
    messages: 100,
    perMinute: 600,
    holds: 0,
    accept: cost,
    relay: cost,
    perMessage: 5.5,
    arrivalSeconds: 2,
    enforced: false,
    acceptOperations: [],
  };
  const result: ShapingResult = {
    perMinute: 600,
    domain: 'bench.example',
    windowSeconds: 60,
    runs: [run(1, 'held', 0.98), run(2, 'not enforced', 1.5)],
    cost: { messages: 100, none: phase, open: phase, held: phase, extraPerHold: NaN },
  };
  assert.deepEqual(
    shapingTargets(result).map((t) => [t.figure, t.met]),
    [
      ['shaping 1 host(s): achieved vs 600/min', true],
      ['shaping 2 host(s): achieved vs 600/min', false],
      ['shaping: storage transactions per message, one rule', true],
      ['shaping: extra transactions per held message', false],
    ],
  );
});

test('--only shaping runs the shaping stage alone; its options have defaults and are checked', FILE_TIMEOUT, () => {
  const only = parseOptions(['--only', 'shaping', '--quick']);
  assert.equal(only.onlyShaping, true);
  assert.equal(only.shaping, true);
  assert.deepEqual([only.shapingRate, only.shapingSeconds, only.shapingCostMessages, only.shapingInstances], [600, 60, 100, [1, 2, 3]]);
  const set = parseOptions(['--shaping', '--shaping-rate', '300', '--shaping-seconds', '90', '--shaping-instances', '1,3']);
  assert.deepEqual([set.shaping, set.onlyShaping, set.shapingRate, set.shapingSeconds, set.shapingInstances], [true, false, 300, 90, [1, 3]]);
  assert.equal(parseOptions([]).shaping, false);
  assert.throws(() => parseOptions(['--only', 'cost']), /--only takes one stage: shaping/);
  assert.throws(() => parseOptions(['--shaping-instances', '1,x']), /--shaping-instances/);
});
