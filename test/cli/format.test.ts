import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table, tagsText } from '../../src/cli/format';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

test('columns line up, counting a CJK character as two cells, and empty values show as "-"', FILE_TIMEOUT, () => {
  const text = table(
    [
      { subject: '請求書', to: 'a@example.jp' },
      { subject: 'Invoice', to: null },
    ],
    ['subject', 'to'],
  );
  assert.equal(text, ['SUBJECT  TO', '請求書   a@example.jp', 'Invoice  -'].join('\n'));
});

test('no rows print "(none)"; tags print as name=value pairs; newlines never break a row', FILE_TIMEOUT, () => {
  assert.equal(table([], ['a']), '(none)');
  assert.equal(tagsText({ campaign: 'winter', tenant: 't1' }), 'campaign=winter,tenant=t1');
  assert.equal(table([{ response: '550 5.1.1\r\nuser unknown' }], ['response']), 'RESPONSE\n550 5.1.1 user unknown');
});
