import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { firstInvalidUtf8Byte, parseJsonBody } from '../../src/core/jsonBody';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function problemOf(body: Buffer | string): { field: string; message: string } {
  const result = parseJsonBody(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
  assert.equal(result.ok, false, `expected ${JSON.stringify(String(body).slice(0, 80))} to be refused`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.errors.length, 1);
  return result.errors[0];
}

test('parses what JSON.parse parses, to the same value', FILE_TIMEOUT, () => {
  fc.assert(
    fc.property(fc.json(), (text) => {
      const result = parseJsonBody(Buffer.from(text, 'utf8'));
      assert.ok(result.ok, text);
      assert.deepEqual(result.ok && result.value, JSON.parse(text));
    }),
    { numRuns: 500, seed: 20261129 },
  );
});

test('refuses exactly what JSON.parse refuses, apart from duplicate names', FILE_TIMEOUT, () => {
  const jsonish = fc.string({ unit: fc.constantFrom(...'{}[]:,"\\ \t\n0123456789.-+eEtrufalsn'.split('')), maxLength: 30 });
  fc.assert(
    fc.property(jsonish, (text) => {
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      const result = parseJsonBody(Buffer.from(text, 'utf8'));
      if (parses && !result.ok) assert.notEqual(result.errors[0].field, '(body)', `${JSON.stringify(text)} is valid JSON`);
      if (!parses) assert.equal(result.ok, false, `${JSON.stringify(text)} is not valid JSON`);
    }),
    { numRuns: 3000, seed: 20261129 },
  );
});

test('refuses a name given twice, naming its path', FILE_TIMEOUT, () => {
  assert.deepEqual(problemOf('{"to":"a@example.jp","subject":"s","to":"b@example.jp"}').field, 'to');
  assert.equal(problemOf('{"headers":{"X-A":"1","X-A":"2"}}').field, 'headers.X-A');
  assert.equal(problemOf('{"attachments":[{"filename":"a"},{"filename":"b","filename":"c"}]}').field, 'attachments[1].filename');
  assert.equal(problemOf('{"":1,"":2}').field, '""');
  assert.equal(problemOf('{"a":1,"\\u0061":2}').field, 'a', 'names compare after unescaping');
  assert.match(problemOf('{"to":1,"to":2}').message, /given twice/);
  const distinct = parseJsonBody(Buffer.from('{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":2}]}'));
  assert.ok(distinct.ok, 'the same name in different objects is fine');
});

test('refuses bytes that are not UTF-8, with the offset of the first bad one', FILE_TIMEOUT, () => {
  const prefix = Buffer.from('{"subject":"caf');
  for (const bad of [[0xff], [0xc0, 0x80], [0xe3, 0x81], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0x80]]) {
    const problem = problemOf(Buffer.concat([prefix, Buffer.from(bad), Buffer.from('"}')]));
    assert.equal(problem.field, '(body)');
    assert.match(problem.message, new RegExp(`not valid UTF-8 \\(the first bad byte is at offset ${prefix.length}\\)`), JSON.stringify(bad));
  }
  assert.equal(firstInvalidUtf8Byte(Buffer.from('日本語\u{1F600}', 'utf8')), Buffer.byteLength('日本語\u{1F600}'));
});

test('ignores a UTF-8 byte order mark', FILE_TIMEOUT, () => {
  const result = parseJsonBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]));
  assert.deepEqual(result, { ok: true, value: { a: 1 } });
});

test('says where the syntax is wrong without quoting the body', FILE_TIMEOUT, () => {
  const secret = 'hunter2-secret';
  const cases: [string, RegExp][] = [
    [`{"text":"${secret}" oops}`, /"," or "}" was expected at line 1, column 26/],
    [`{"text":"${secret}`, /it ends too early at line 1/],
    [`{"text":\n"${secret}\u0001"}`, /control character must be escaped in a string at line 2, column 16/],
    [`{"text":"${secret}\\x"}`, /invalid escape/],
    [`{${secret}: 1}`, /a name in double quotes was expected/],
    [`["${secret}"] []`, /there is more after the JSON value/],
    ['', /ends too early/],
    ['nul', /unknown word/],
  ];
  for (const [text, pattern] of cases) {
    const problem = problemOf(text);
    assert.equal(problem.field, '(body)');
    assert.match(problem.message, pattern, text);
    assert.doesNotMatch(problem.message, /hunter2|oops/, 'the answer and the log must not carry the body');
  }
});

test('any depth of nesting is checked without running out of stack', FILE_TIMEOUT, () => {
  const deep = 200_000;
  const closed = parseJsonBody(Buffer.from('['.repeat(deep) + ']'.repeat(deep)));
  assert.ok(closed.ok);
  assert.match(problemOf('['.repeat(deep)).message, /ends too early/);
  assert.match(problemOf('{"a":'.repeat(deep) + '1' + '}'.repeat(deep - 1)).message, /ends too early/);
});
