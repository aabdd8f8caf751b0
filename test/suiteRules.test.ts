// Rules the suite holds itself to, checked on its own sources: every test file has one deadline that
// each of its top-level tests and suites takes (a hung socket then fails one test, not the whole run),
// and nothing is skipped or singled out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const testRoot = path.resolve(__dirname, '..', '..', 'test');
const testFiles = readdirSync(testRoot, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.test.ts'))
  .sort();

test('there are test files to check', FILE_TIMEOUT, () => {
  assert.ok(testFiles.length >= 40, `found ${testFiles.length}`);
});

test('every test file declares FILE_TIMEOUT and passes it to each top-level test and suite', FILE_TIMEOUT, () => {
  const problems: string[] = [];
  for (const file of testFiles) {
    const source = readFileSync(path.join(testRoot, file), 'utf8');
    if (!/^const FILE_TIMEOUT = \{ timeout: \d[\d_]* \};$/m.test(source)) problems.push(`${file}: no FILE_TIMEOUT`);
    for (const [line, index] of topLevelCalls(source)) {
      if (!line.includes('FILE_TIMEOUT')) problems.push(`${file}:${index}: ${line.slice(0, 80)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('no test is skipped, singled out or left to do', FILE_TIMEOUT, () => {
  const problems: string[] = [];
  for (const file of testFiles) {
    const source = readFileSync(path.join(testRoot, file), 'utf8');
    source.split('\n').forEach((line, i) => {
      if (/\b(test|it|describe|suite)\.(only|skip|todo)\b|\{\s*(only|todo)\s*:\s*true/.test(line)) problems.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(problems, []);
});

/** Each top-level test() or describe() call up to its callback's arrow (Prettier may break it over lines), with its line number. */
function topLevelCalls(source: string): Array<[string, number]> {
  const lines = source.split('\n');
  const calls: Array<[string, number]> = [];
  lines.forEach((line, i) => {
    if (!/^(test|describe)\(/.test(line)) return;
    let head = line;
    for (let j = i + 1; !head.includes('=>') && j < lines.length; j++) head += ` ${(lines[j] ?? '').trim()}`;
    calls.push([head, i + 1]);
  });
  return calls;
}
