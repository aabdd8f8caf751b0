// The host's CPU split (bench/cpuSplit.ts) on a tiny synthetic profile: which samples are the local
// host's plumbing, which are function code, and how the run's window leaves start-up out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { category, scriptOwner, splitProfile, type CpuProfile } from '../../bench/cpuSplit';
import { applySplit } from '../../bench/cpuSplitStage';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const frame = (id: number, url: string, children: number[] = [], functionName = 'f') => ({ id, callFrame: { functionName, url }, children });
const app = (file: string) => `file:///w/dist/${file}`;
const pkg = (file: string) => `file:///w/node_modules/${file}`;

// root → each kind of stack the host shows
const profile = (samples: number[]): CpuProfile => ({
  nodes: [
    frame(1, '', [2, 3, 4, 5, 10, 20, 30, 40, 50], '(root)'),
    frame(2, '', [], '(idle)'),
    frame(3, '', [], '(garbage collector)'),
    // the listener's own storage call: plumbing
    frame(4, app('src/local/queueListener.js'), [6]),
    frame(6, pkg('@azure/storage-queue/dist/commonjs/queueClient.js')),
    // the listener invoking the relay function: function code, even though a local frame is nearer the root
    frame(5, app('src/local/invocation.js'), [7]),
    frame(7, app('functions/relayDelivery.js'), [8]),
    frame(8, app('src/relay/deliverTask.js'), [9]),
    frame(9, pkg('nodemailer/lib/smtp-connection/index.js')),
    // an incoming request being parsed, no project frame: plumbing
    frame(10, 'node:_http_server', [11]),
    frame(11, '', [], 'execute'),
    // a continuation with no caller left on the stack: function code (an upper bound)
    frame(20, 'node:internal/process/task_queues', [21]),
    frame(21, pkg('@azure/core-rest-pipeline/dist/commonjs/pipeline.js')),
    // the local HTTP trigger calling into @azure/functions: function code
    frame(30, app('src/local/httpTrigger.js'), [31]),
    frame(31, pkg('@azure/functions/dist/azure-functions.js')),
    // node's own frames only, named by the part of node they are in; function code either way
    frame(40, 'node:internal/stream_base_commons', [41]),
    frame(41, '', [], 'writev'),
    frame(50, 'node:internal/streams/readable', [51]),
    frame(51, 'node:_http_client'),
  ],
  startTime: 0,
  endTime: samples.length * 1000,
  samples,
  timeDeltas: samples.map(() => 1000),
});

test('a sample is plumbing when the project frame nearest its leaf is the local host, or it parses an incoming request', FILE_TIMEOUT, () => {
  // idle is not busy; the last sample has no next one, so it stands for no time
  const split = splitProfile(profile([2, 3, 6, 9, 9, 11, 21, 31, 2]));
  assert.equal(split.busyMs, 7);
  assert.equal(split.plumbingShare, 2 / 7);
  assert.equal(split.functionShare, 5 / 7);
  const byName = Object.fromEntries(split.categories.map((c) => [`${c.side}: ${c.name}`, c.ms]));
  assert.deepEqual(byName, {
    'function code: nodemailer': 2,
    'function code: GC': 1,
    'function code: storage SDK, caller not on the stack': 1,
    'function code: @azure/functions': 1,
    'host plumbing: storage SDK': 1,
    'host plumbing: node HTTP server': 1,
  });
});

test('a sample with only node frames is named by the part of node it is in, and counts as function code', FILE_TIMEOUT, () => {
  const split = splitProfile(profile([41, 51, 51, 2]));
  assert.equal(split.functionShare, 1);
  assert.deepEqual(
    split.categories.map((c) => [c.name, c.ms]),
    [
      ['node HTTP client', 2],
      ['node socket I/O', 1],
    ],
  );
});

test("only the samples inside the run's window count", FILE_TIMEOUT, () => {
  // sample i is taken at (i + 1) ms; the window [2 ms, 3 ms] holds the GC and the listener's call
  const split = splitProfile(profile([9, 3, 6, 9, 9]), { fromUs: 2000, toUs: 3000 });
  assert.equal(split.busyMs, 2);
  assert.equal(split.plumbingShare, 0.5);
});

test('applySplit scales the shares to the unprofiled CPU per message', FILE_TIMEOUT, () => {
  const figures = applySplit(splitProfile(profile([2, 3, 6, 9, 9, 11, 21, 31, 2])), 7);
  assert.deepEqual([figures.functionMsPerMessage, figures.plumbingMsPerMessage, figures.functionShare], [5, 2, 71.4]);
  assert.equal(figures.categories.find((c) => c.name === 'nodemailer')?.msPerMessage, 2);
});

test('scriptOwner and category name the package or project area of a frame', FILE_TIMEOUT, () => {
  assert.equal(scriptOwner('node:internal/streams/writable'), null);
  assert.equal(scriptOwner(''), null);
  assert.equal(scriptOwner(pkg('@azure/data-tables/dist/x.js')), '@azure/data-tables');
  assert.equal(scriptOwner(app('src/relay/deliverTask.js')), 'dist/src/relay/deliverTask.js');
  assert.equal(category('fast-xml-parser'), 'storage SDK');
  assert.equal(category('dist/src/relay/deliverTask.js'), 'app code');
  assert.equal(category('dist/src/local/queueListener.js'), 'local host');
  assert.equal(category('ajv'), 'other: ajv');
  assert.equal(category(null), 'node internals, no caller');
});
