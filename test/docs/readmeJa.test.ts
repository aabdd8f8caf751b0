// README.md and README.ja.md stay in step: the same section structure (headings mapped by position,
// the Japanese ones translated), the same commands in their code blocks and the same command lines
// in their prose, every setting named in one named in the other, and each linking the other at its
// top. The checker is shown to catch a change made to one only, on copies of the real files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseReadme, readmeDifferences, sameCommand } from './readmePair';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const root = path.resolve(__dirname, '..', '..', '..');
const english = readFileSync(path.join(root, 'README.md'), 'utf8');
const japanese = readFileSync(path.join(root, 'README.ja.md'), 'utf8');

/** `text` with `from` replaced, failing if it is not there exactly once: a mutation that silently did nothing would prove nothing. */
function mutate(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags.replace('g', '')}g`)) ?? []).length;
  assert.equal(count, 1, `the mutation's target ${String(from)} occurs once`);
  return text.replace(from, to);
}

const withTopLink = (text: string) =>
  /\]\(README\.ja\.md\)/.test(text.split('\n').slice(0, 5).join('\n')) ? text : text.replace(/^(# .*\n)/, '$1\n[日本語](README.ja.md) · English\n');
/** README.md as it will be with the link to README.ja.md at its top (HANDOFF-ja.md), for the mutation tests. */
const englishLinked = withTopLink(english);

test('README.md and README.ja.md are in step: structure, commands, settings', FILE_TIMEOUT, () => {
  const problems = readmeDifferences(englishLinked, japanese).filter((p) => !p.startsWith('README.md does not link README.ja.md'));
  assert.deepEqual(problems, []);
  const sections = parseReadme(japanese);
  assert.ok(sections.length > 15, 'the Japanese README has its sections');
  assert.ok(sections.flatMap((s) => s.blocks).length >= 12, 'and its code blocks');
});

test('README.md links README.ja.md at its top, and README.ja.md links README.md', FILE_TIMEOUT, () => {
  assert.deepEqual(
    readmeDifferences(english, japanese).filter((p) => /link/.test(p)),
    [],
    'add the line from HANDOFF-ja.md to the top of README.md',
  );
});

describe('the check fails when one README changes without the other', FILE_TIMEOUT, () => {
  const differences = (en: string, ja: string) => readmeDifferences(en, ja);
  assert.deepEqual(differences(englishLinked, japanese), [], 'the base of the mutations is in step');

  test('a command dropped from README.md', () => {
    const en = mutate(englishLinked, 'npx relay tail                            # outcomes as they happen, until Ctrl-C\n', '');
    const found = differences(en, japanese);
    assert.ok(
      found.some((p) => p.includes('README.md lacks the command `npx relay tail`')),
      found.join('\n'),
    );
  });

  test('a flag changed in a README.ja.md command', () => {
    const ja = mutate(japanese, '--query masterKey -o tsv` で取れます', '--query masterKey -o json` で取れます');
    const found = differences(englishLinked, ja);
    assert.ok(
      found.some((p) => p.includes('README.ja.md does not mention `az functionapp keys list -g <group> -n <app> --query masterKey -o tsv`')),
      found.join('\n'),
    );
  });

  test('an ASCII value changed in a JSON body is a different command; Japanese text is not', () => {
    const changed = mutate(japanese, '"duration": "2h"}\' http', '"duration": "3h"}\' http');
    assert.ok(differences(englishLinked, changed).some((p) => p.includes('suspensions/destination/yahoo-japan')));
    const translated = mutate(englishLinked, '"text": "It works."', '"text": "届きました。"');
    assert.deepEqual(differences(translated, japanese), []);
    assert.ok(sameCommand('curl -d \'{"reason": "asked by phone"}\' http://x', 'curl -d \'{"reason": "電話で依頼"}\' http://x'));
    assert.ok(!sameCommand('curl -d \'{"reason": "asked by phone"}\' http://x', 'curl -d \'{"cause": "電話で依頼"}\' http://x'));
  });

  test('a line of a multi-line curl dropped from README.ja.md', () => {
    const ja = mutate(japanese, "  -H 'x-functions-key: local-dev-key' -H 'Content-Type: application/json' \\\n  -d '{\"from\"", '  -d \'{"from"');
    const found = differences(englishLinked, ja);
    assert.ok(
      found.some((p) => /README\.ja\.md lacks the command `curl -s -X POST http:\/\/127\.0\.0\.1:7071\/api\/v1\/messages -H 'x-functions-key/.test(p)),
      found.join('\n'),
    );
  });

  test('a section added to README.md only', () => {
    const en = mutate(englishLinked, '\n## Tests\n', '\n## Multiple smart hosts\n\nRoutes.\n\n## Tests\n');
    const found = differences(en, japanese);
    assert.ok(
      found.some((p) => p.startsWith('the section structure differs')),
      found.join('\n'),
    );
  });

  test('a heading demoted in README.ja.md', () => {
    const ja = mutate(japanese, '\n### メトリクス\n', '\n#### メトリクス\n');
    assert.ok(differences(englishLinked, ja).some((p) => p.startsWith('the section structure differs')));
  });

  test('a code block dropped from README.ja.md', () => {
    const ja = mutate(japanese, /```sh\ncurl -s -H 'x-functions-key: local-admin-key' http:\/\/127\.0\.0\.1:7071\/api\/v1\/senders[\s\S]*?```\n/, '');
    const found = differences(englishLinked, ja);
    assert.ok(
      found.some((p) => p.includes('code blocks differ')),
      found.join('\n'),
    );
  });

  test('a setting named in README.md only', () => {
    const en = mutate(englishLinked, '`RELAY_SUPPRESSION_DAYS` (default 30;', '`RELAY_SUPPRESSION_TTL_DAYS` (default 30;');
    const found = differences(en, japanese);
    assert.ok(found.includes('README.ja.md never names the setting RELAY_SUPPRESSION_TTL_DAYS'), found.join('\n'));
    assert.ok(found.includes('README.md never names the setting RELAY_SUPPRESSION_DAYS'), found.join('\n'));
  });

  test('a setting dropped from README.ja.md', () => {
    const ja = japanese.replaceAll('AzureWebJobsStorage', 'ストレージの設定');
    assert.ok(differences(englishLinked, ja).includes('README.ja.md never names the setting AzureWebJobsStorage'));
  });

  test('a link at the top removed from either', () => {
    assert.ok(differences(english.replace(/\[日本語\]\(README\.ja\.md\)/, ''), japanese).includes('README.md does not link README.ja.md in its first lines'));
    const ja = mutate(japanese, '[English](README.md) · 日本語\n', '');
    assert.ok(differences(englishLinked, ja).includes('README.ja.md does not link README.md in its first lines'));
  });
});
