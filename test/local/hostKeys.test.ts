import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHostKeys, createKeyCheck, parseFunctionKeys } from '../../src/local/hostKeys';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const settings = { masterKey: 'master', hostKeys: ['host'], functionKeys: parseFunctionKeys('{"send": "send-key", "status": ["s1", "s2"]}') };

test('master opens admin and everything; host keys every function level function; function keys their own', FILE_TIMEOUT, () => {
  const check = createKeyCheck(settings);
  assert.equal(check('admin', 'ops', 'master'), true);
  for (const key of ['host', 'send-key', 's1', undefined, '']) assert.equal(check('admin', 'ops', key), false, String(key));
  for (const key of ['master', 'host', 'send-key']) assert.equal(check('function', 'send', key), true, key);
  assert.equal(check('function', 'send', 's1'), false, "another function's key");
  assert.equal(check('function', 'status', 's2'), true);
  assert.equal(check('function', 'send', undefined), false);
  assert.equal(check('anonymous', 'open', undefined), true);
});

test('without a master key, admin functions open for no key at all', FILE_TIMEOUT, () => {
  const check = createKeyCheck({ hostKeys: ['host'], functionKeys: new Map() });
  assert.equal(check('admin', 'ops', 'host'), false);
  assert.equal(check('admin', 'ops', ''), false);
});

test('per-function keys: a JSON object of names to a key or keys; nothing else', FILE_TIMEOUT, () => {
  assert.deepEqual([...parseFunctionKeys(undefined)], []);
  assert.deepEqual([...parseFunctionKeys(' ')], []);
  assert.deepEqual(
    [...settings.functionKeys],
    [
      ['send', ['send-key']],
      ['status', ['s1', 's2']],
    ],
  );
  for (const bad of ['[]', '"k"', '{"send": 1}', '{"send": []}', '{"send": [""]}', 'send=k']) {
    assert.throws(() => parseFunctionKeys(bad), /^Error: RELAY_LOCAL_FUNCTION_KEYS must be a JSON object/, bad);
  }
});

test('the master key must differ from every other key, and function keys must name functions', FILE_TIMEOUT, () => {
  assert.doesNotThrow(() => checkHostKeys(settings, ['send', 'status']));
  assert.throws(() => checkHostKeys(settings, ['send']), /names "status", which is not a function of this app \(send\)/);
  assert.throws(() => checkHostKeys({ ...settings, hostKeys: ['master'] }, ['send', 'status']), /RELAY_LOCAL_ADMIN_KEY equals RELAY_LOCAL_FUNCTION_KEY/);
  assert.throws(
    () => checkHostKeys({ ...settings, functionKeys: parseFunctionKeys('{"send": "master"}') }, ['send']),
    /gives "send" the same key as RELAY_LOCAL_ADMIN_KEY/,
  );
});
