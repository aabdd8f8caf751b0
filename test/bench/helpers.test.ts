// The bench's pure helpers: parsing /proc, planning the raw-SDK baseline, reading the bench id,
// grouping profile frames, the cost split, options and the target verdicts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { phaseCost } from '../../bench/cost';
import { parseMachineStat, parseProcStat } from '../../bench/cpu';
import { ownerOf } from '../../bench/profile';
import { progressLine } from '../../bench/progress';
import { describePlan, replayPlan } from '../../bench/rawSdk';
import { evaluateTargets, type BenchResults } from '../../bench/report';
import { parseOptions } from '../../bench/options';
import { benchIdOf } from '../../bench/sink';
import type { OperationCount } from '../../bench/storageMeter';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const op = (operation: string, requests: number, firstSeen: number, extra: Partial<OperationCount> = {}): OperationCount => ({
  service: 'table',
  operation,
  requests,
  requestBytes: requests * 100,
  batchedOperations: 0,
  messages: 0,
  entities: 0,
  firstSeen,
  ...extra,
});

test('parseProcStat reads ppid and CPU times even when the command name has spaces and parentheses', FILE_TIMEOUT, () => {
  const line = '4242 (node (x) y) S 17 4242 4242 0 -1 4194304 100 0 0 0 250 50 30 20 20 0 11 0 1000 0 0';
  assert.deepEqual(parseProcStat(line), { ppid: 17, ownMs: 3000, childrenMs: 500 });
});

test('replayPlan repeats what the accept did per message, in order of first appearance', FILE_TIMEOUT, () => {
  const operations = [
    op('EntityGroupTransaction', 100, 3, { requestBytes: 95_000, batchedOperations: 100 }),
    op('PutMessage', 100, 2, { service: 'queue', requestBytes: 25_800 }),
    op('PutBlob', 100, 0, { service: 'blob', requestBytes: 139_400 }),
    op('InsertOrReplaceEntity', 100, 1),
    op('InsertEntity', 3, 4),
  ];
  const plan = replayPlan(operations, 100);
  assert.deepEqual(
    plan.map((s) => s.operation),
    ['PutBlob', 'InsertOrReplaceEntity', 'PutMessage', 'EntityGroupTransaction'],
    'rarer than once in two messages is left out',
  );
  assert.deepEqual(
    plan.map((s) => s.requestBytes),
    [1394, 100, 258, 950],
  );
  assert.equal(describePlan(plan), 'PutBlob ~1394 B → InsertOrReplaceEntity ~100 B → PutMessage ~258 B → EntityGroupTransaction ~950 B');
  assert.equal(replayPlan([op('EntityGroupTransaction', 10, 0, { batchedOperations: 30 })], 5)[0].repeat, 2);
  assert.equal(replayPlan([op('EntityGroupTransaction', 10, 0, { batchedOperations: 30 })], 5)[0].entities, 3);
  // concurrent accepts' index rows shared 26 transactions for 100 messages: still one write each
  const gathered = replayPlan([op('InsertOrReplaceEntity', 31, 0), op('EntityGroupTransaction', 26, 1, { batchedOperations: 69 })], 100);
  assert.deepEqual(
    gathered.map((s) => [s.operation, s.repeat, s.entities]),
    [['EntityGroupTransaction', 1, 1]],
  );
});

test('replayPlan refuses an operation it cannot repeat, naming it', FILE_TIMEOUT, () => {
  assert.throws(() => replayPlan([op('GetEntity', 10, 0)], 10), /cannot repeat GetEntity/);
});

test('phaseCost leaves empty polls and create-if-missing calls out of the per-message figure', FILE_TIMEOUT, () => {
  const cost = phaseCost([op('UpdateEntity', 200, 0), op('GetMessages (empty)', 40, 1), op('CreateQueue', 2, 2), op('GetMessages', 7, 3)], 100);
  assert.equal(cost.perMessage, 2.07);
  assert.deepEqual(
    cost.operations.map((o) => [o.operation, o.perMessage]),
    [
      ['UpdateEntity', 2],
      ['GetMessages', 0.07],
    ],
  );
  assert.deepEqual(
    cost.leftOut.map((o) => o.operation),
    ['GetMessages (empty)', 'CreateQueue'],
  );
});

test('benchIdOf finds the X-Bench-Id header in the header block only', FILE_TIMEOUT, () => {
  assert.equal(benchIdOf(Buffer.from('From: a@example.com\r\nX-Bench-Id: relay-steady-7\r\nSubject: s\r\n\r\nbody')), 'relay-steady-7');
  assert.equal(benchIdOf(Buffer.from('x-bench-id:  e2e-1 \r\n\r\n')), 'e2e-1');
  assert.equal(benchIdOf(Buffer.from('Subject: s\r\n\r\nX-Bench-Id: in-the-body')), undefined);
});

test('ownerOf groups profile frames by package, node internals or project file', FILE_TIMEOUT, () => {
  assert.equal(ownerOf('file:///w/node_modules/@azure/core-client/dist/commonjs/serviceClient.js'), '@azure/core-client');
  assert.equal(ownerOf('file:///w/node_modules/nodemailer/lib/smtp-connection/index.js'), 'nodemailer');
  assert.equal(ownerOf('node:internal/streams/writable'), 'node internals');
  assert.equal(ownerOf('file:///w/dist/src/relay/deliverTask.js'), 'src/relay/deliverTask.js');
  assert.equal(ownerOf(''), '(native, GC, idle)');
});

test('options: full-run defaults, --quick for a short development run, explicit values win', FILE_TIMEOUT, () => {
  assert.equal(parseOptions([]).n, 5000);
  assert.equal(parseOptions([]).seconds, 30);
  const quick = parseOptions(['--quick']);
  assert.deepEqual([quick.n, quick.seconds, quick.quick], [300, 10, true]);
  assert.equal(parseOptions(['--quick', '--n', '1000']).n, 1000);
  assert.deepEqual([parseOptions([]).e2eN, quick.e2eN, parseOptions(['--e2e-n', '50']).e2eN], [1000, 300, 50]);
  assert.deepEqual([parseOptions([]).scaleOutMessages, quick.scaleOutMessages], [2000, 400]);
  assert.deepEqual(parseOptions(['--scale-out-instances', '1,4']).scaleOutInstances, [1, 4]);
  assert.throws(() => parseOptions(['--scale-out-instances', '0']), /--scale-out-instances needs a list of host counts/);
  assert.throws(() => parseOptions(['--n', 'many']), /--n needs a positive number/);
});

test("targets: each is judged against the issue's bound, and an incomplete steady run never passes", FILE_TIMEOUT, () => {
  const latency = (p99: number) => ({ count: 600, p50: 90, p95: 150, p99, max: 300, mean: 100 });
  const base = { targets: [], notes: [] } as unknown as BenchResults;
  const results: BenchResults = {
    ...base,
    relayEndToEnd: { messages: 1000, messagesPerSecond: 290, submittedPerSecond: 300, cpuMsPerMessage: { host: 6, azurite: 20, bench: 2 } },
    postfix: {
      endToEnd: { messages: 1000, messagesPerSecond: 140, submittedPerSecond: 150, cpuMsPerMessage: { postfix: 5, bench: 3 } },
      steady: { ratePerSecond: 20, seconds: 30, sent: 600, delivered: 600, failed: 0, latencyMs: latency(260) },
    },
    relaySteady: { ratePerSecond: 20, seconds: 30, sent: 600, delivered: 599, failed: 0, latencyMs: latency(240) },
  };
  const verdicts = Object.fromEntries(evaluateTargets(results).map((t) => [t.figure.split(' ')[0], [t.value, t.met]]));
  assert.deepEqual(verdicts['end-to-end'], [2.07, true]);
  assert.deepEqual(verdicts.relay, [1.2, false], "the host's CPU per message against Postfix's, ≤ 1.0×");
  assert.deepEqual(verdicts['POST→sink'], [240, false], "below Postfix's p99, but one message never arrived");
  const complete = { ...results, relaySteady: { ...results.relaySteady!, delivered: 600 } };
  const p99 = evaluateTargets(complete).find((t) => t.figure.startsWith('POST→sink'));
  assert.deepEqual([p99?.met, p99?.target], [true, "≤ Postfix's 260"]);
});

test('parseMachineStat reads busy and total jiffies from the first line of /proc/stat', FILE_TIMEOUT, () => {
  assert.deepEqual(parseMachineStat('cpu  100 5 50 800 20 3 2 1 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0'), { busy: 161, total: 981 });
});

test('progressLine says how far a stage is, for logs that are not a terminal', FILE_TIMEOUT, () => {
  assert.equal(
    progressLine({ label: 'relay end to end', done: 612, total: 1000, unit: 'at the sink', seconds: 14 }),
    '  relay end to end: 612/1000 at the sink, 14 s',
  );
});
