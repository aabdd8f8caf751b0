import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyHostJsonOverrides } from '../../src/local/hostJsonOverrides';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

test('AzureFunctionsJobHost__ settings override host.json, case-insensitively, numbers as numbers', FILE_TIMEOUT, () => {
  const hostJson = { version: '2.0', extensions: { queues: { batchSize: 16, visibilityTimeout: '00:00:30' } } };
  const result = applyHostJsonOverrides(hostJson, {
    AzureFunctionsJobHost__extensions__queues__VisibilityTimeout: '00:00:01',
    AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
    AzureFunctionsJobHost__logging__logLevel__default: 'Warning',
    OTHER_SETTING: 'ignored',
  });
  assert.deepEqual(result, {
    version: '2.0',
    extensions: { queues: { batchSize: 16, visibilityTimeout: '00:00:01', maxDequeueCount: 2 } },
    logging: { logLevel: { default: 'Warning' } },
  });
  assert.equal(hostJson.extensions.queues.visibilityTimeout, '00:00:30', 'the file itself is not changed');
});
