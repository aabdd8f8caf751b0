import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFunctionDisabled } from '../../src/local/disabledFunctions';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

test('AzureWebJobs.<name>.Disabled and the Linux form AzureWebJobs_<name>_Disabled switch a function off with true or 1', FILE_TIMEOUT, () => {
  assert.equal(isFunctionDisabled('relayDelivery', { 'AzureWebJobs.relayDelivery.Disabled': 'true' }), true);
  assert.equal(isFunctionDisabled('relayDelivery', { AzureWebJobs_relayDelivery_Disabled: '1' }), true);
  assert.equal(isFunctionDisabled('relayDelivery', { 'azurewebjobs.RELAYDELIVERY.disabled': 'TRUE' }), true, 'names and values are case-insensitive');
});

test('any other value, another function name or no setting leaves the function on', FILE_TIMEOUT, () => {
  for (const value of ['false', '0', '', 'yes', ' true', undefined]) {
    assert.equal(isFunctionDisabled('relayDelivery', { 'AzureWebJobs.relayDelivery.Disabled': value }), false, String(value));
  }
  assert.equal(isFunctionDisabled('relayDelivery', { 'AzureWebJobs.sendMessage.Disabled': 'true' }), false);
  assert.equal(
    isFunctionDisabled('relayDelivery', { AzureWebJobs__relayDelivery__Disabled: 'true' }),
    false,
    'the double-underscore form is a host.json path, not this setting',
  );
  assert.equal(isFunctionDisabled('relayDelivery', {}), false);
});
