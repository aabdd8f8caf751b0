import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchedLines } from '../../src/local/hostLog';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('lines logged in one turn of the event loop go out in one write, in order', FILE_TIMEOUT, async () => {
  const writes: string[] = [];
  const output = batchedLines((chunk) => writes.push(chunk));
  output.line('one');
  output.line('two');
  assert.deepEqual(writes, [], 'nothing is written before the turn ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['one\ntwo\n']);
  output.line('three');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['one\ntwo\n', 'three\n']);
});

test('flush writes what is pending at once, and only once', FILE_TIMEOUT, async () => {
  const writes: string[] = [];
  const output = batchedLines((chunk) => writes.push(chunk));
  output.line('before exit');
  output.flush();
  assert.deepEqual(writes, ['before exit\n']);
  await new Promise((resolve) => setImmediate(resolve));
  output.flush();
  assert.deepEqual(writes, ['before exit\n']);
});
