// The Markdown report's new rows and tables: the host's CPU next to Postfix's (whole and function
// code only), the cost stage's three runs, the CPU split and the scale-out table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CostResult, MeteredRun } from '../../bench/cost';
import type { CpuSplitResult } from '../../bench/cpuSplitStage';
import { evaluateTargets, markdown, type BenchResults } from '../../bench/report';
import type { ScaleOutPhase, ScaleOutResult } from '../../bench/scaleOut';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const phase = (perMessage: number) => ({ perMessage, operations: [], leftOut: [] });
const run = (perMessage: number, holds: number): MeteredRun => ({
  messages: 30,
  perMinute: 120,
  holds,
  accept: phase(4),
  relay: phase(perMessage - 4),
  perMessage,
  arrivalSeconds: 15,
  enforced: true,
  acceptOperations: [],
});
const cost: CostResult = {
  messages: 100,
  policy: '{}',
  accept: phase(4),
  relay: {
    perMessage: 1.9,
    operations: [
      {
        service: 'queue',
        operation: 'DeleteMessage',
        requests: 100,
        requestBytes: 0,
        batchedOperations: 0,
        messages: 0,
        entities: 0,
        firstSeen: 0,
        perMessage: 1,
      },
    ],
    leftOut: [],
  },
  perMessage: 5.9,
  noRule: run(5.5, 0),
  held: run(8, 20),
  extraPerHold: 3.4,
  idle: { seconds: 5, requestsPerSecond: 0.8, operations: [] },
  acceptOperations: [],
};
const cpuSplit: CpuSplitResult = {
  messages: 300,
  messagesPerSecond: 80,
  profileFile: 'x.cpuprofile',
  window: { fromUs: 0, toUs: 1 },
  split: {
    busyMs: 100,
    functionShare: 0.75,
    plumbingShare: 0.25,
    categories: [
      { side: 'function code', name: 'storage SDK', ms: 50 },
      { side: 'function code', name: 'nodemailer', ms: 12.5 },
      { side: 'function code', name: 'storage SDK, caller not on the stack', ms: 12.5 },
      { side: 'host plumbing', name: 'local host', ms: 25 },
    ],
  },
};
const scalePhase = (messagesPerSecond: number, azuriteCorePercent: number): ScaleOutPhase => ({
  messages: 400,
  messagesPerSecond,
  seconds: 4,
  cpuMsPerMessage: { hosts: 6, perHost: [3, 3], azurite: 4, bench: 0.5, azuriteCorePercent, machineBusyCores: 1.9 },
});
const scaleOut: ScaleOutResult = {
  messages: 400,
  concurrency: 32,
  cores: 2,
  runs: [
    { instances: 1, drain: scalePhase(100, 50), endToEnd: scalePhase(80, 40) },
    { instances: 2, drain: scalePhase(150, 95), endToEnd: scalePhase(100, 60) },
  ],
};
const results = (): BenchResults => {
  const r = {
    date: '2026-12-01',
    machine: { cpu: 'cpu', cores: 2, ramGiB: 8, os: 'linux' },
    versions: {},
    options: {},
    relayEndToEnd: { messages: 1000, messagesPerSecond: 100, submittedPerSecond: 200, cpuMsPerMessage: { host: 8, azurite: 4, bench: 1 } },
    postfix: {
      endToEnd: { messages: 1000, messagesPerSecond: 100, submittedPerSecond: 300, cpuMsPerMessage: { postfix: 4, bench: 2 } },
      steady: { ratePerSecond: 20, seconds: 10, sent: 200, delivered: 200, failed: 0, latencyMs: { count: 200, p50: 1, p95: 2, p99: 3, max: 4, mean: 1 } },
    },
    cost,
    cpuSplit,
    scaleOut,
    targets: [],
    notes: [],
  } as BenchResults;
  r.targets = evaluateTargets(r);
  return r;
};

test('the host CPU row carries its target against Postfix, the function-code row its split', FILE_TIMEOUT, () => {
  const text = markdown(results());
  assert.match(
    text,
    /\| Relay host CPU per relayed message, end to end \(accept \+ relay, local host included\) \(ms\) \| 8 \| Postfix 4 \| 2 \| ≤ 1\.0× \| \*\*no\*\* \|/,
  );
  assert.match(text, /\| Function-code CPU per message, the local host's HTTP and queue plumbing left out \(ms\) \| 6 \(plumbing 2\) \| Postfix 4 \| 1\.5 \|/);
  assert.match(text, /\| function code \| storage SDK \| 4 \|/);
  assert.match(text, /\| host plumbing \| local host \| 2 \|/);
  // 1 of 5.9 requests per message is the listener's: 1/5.9 of the 1 ms of caller-less continuations
  assert.match(text, /\(16\.9 %\), function code would be 5\.83 ms and plumbing 2\.17 ms\./);
});

test('the cost stage reports the rule, no-rule and held runs, each held figure against its target', FILE_TIMEOUT, () => {
  const text = markdown(results());
  assert.match(text, /suppression, one destination rule and events on \(accept \+ relay\) \| 4 \+ 1\.9 = 5\.9 \| – \| – \| ≤ 6 \| yes \|/);
  assert.match(text, /no destination rule \(accept \+ relay\) \| 4 \+ 1\.5 = 5\.5 \|/);
  assert.match(text, /Extra transactions per held recipient \(20 holds of 30\) \| 3\.4 \| – \| – \| ≤ 3 \| \*\*no\*\* \|/);
});

test('the scale-out table gives each host count its rate against one host and where the CPU went', FILE_TIMEOUT, () => {
  const text = markdown(results());
  assert.match(text, /\| 2 \| drain \| 150 \| 1\.5× \| 6 \(3, 3\) \| 4 \| 0\.5 \| 95 % \| 1\.9 of 2 \|/);
  assert.match(text, /\| 1 \| end to end \| 80 \| 1× \|/);
});
