// Every relative link in README.ja.md and docs/ja/*.md leads to a file that exists, and a link to a
// heading (`page.md#anchor`, `#anchor`) to a heading that exists, as GitHub makes its anchors; and the
// Japanese guide links each of its pages and the English docs it renders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { anchors, relativeLinks, slug } from './markdownLinks';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const root = path.resolve(__dirname, '..', '..', '..');
const guide = readdirSync(path.join(root, 'docs', 'ja'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => path.join('docs', 'ja', name));
const pages = ['README.ja.md', ...guide];
const read = (page: string) => readFileSync(path.join(root, page), 'utf8');

/** The links of `page` that lead nowhere: a missing file, or a missing heading in a Markdown file. */
function brokenLinks(page: string, text: string): string[] {
  const broken: string[] = [];
  for (const { target, line } of relativeLinks(text)) {
    const [file = '', anchor] = target.split('#');
    const resolved = file === '' ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), decodeURIComponent(file));
    if (!existsSync(resolved)) {
      broken.push(`${page}:${line} → ${target}: no such file`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) continue;
    const wanted = decodeURIComponent(anchor);
    const target_text = file === '' ? text : readFileSync(resolved, 'utf8');
    if (!anchors(target_text).has(wanted)) broken.push(`${page}:${line} → ${target}: no heading makes #${wanted}`);
  }
  return broken;
}

test('every relative link in README.ja.md and docs/ja leads to a file and heading that exist', FILE_TIMEOUT, () => {
  assert.ok(guide.length >= 8, `the guide's pages: ${guide.join(', ')}`);
  const broken = pages.flatMap((page) => brokenLinks(page, read(page)));
  assert.deepEqual(broken, []);
  const checked = pages.reduce((sum, page) => sum + relativeLinks(read(page)).length, 0);
  assert.ok(checked > 80, `the links were read (${checked})`);
});

test('the check finds a missing file and a missing heading', FILE_TIMEOUT, () => {
  const page = 'docs/ja/results.md';
  const text = `${read(page)}\n[gone](../nothing-here.md) [renamed](holds.md#no-such-heading) [here](#ない見出し) [fine](holds.md#保留とは)\n`;
  const found = brokenLinks(page, text);
  assert.equal(found.length, 3, found.join('\n'));
  assert.match(found[0] ?? '', /nothing-here\.md: no such file/);
  assert.match(found[1] ?? '', /#no-such-heading/);
  assert.match(found[2] ?? '', /#ない見出し/);
});

test('anchors are made as GitHub makes them', FILE_TIMEOUT, () => {
  assert.equal(slug("The development smart host's recipients"), 'the-development-smart-hosts-recipients');
  assert.equal(slug('Status: `GET /api/v1/messages/{id}`'), 'status-get-apiv1messagesid');
  assert.equal(slug('自動対応(reactions)'), '自動対応reactions');
  assert.equal(slug('日本のアドレスと ISO-2022-JP'), '日本のアドレスと-iso-2022-jp');
  assert.deepEqual([...anchors('# A\n## A\n```\n# not a heading\n```\n## B\n')], ['a', 'a-1', 'b']);
});

test('the guide links every page of it, each page links the English docs, and README.ja.md links the guide', FILE_TIMEOUT, () => {
  const index = read('docs/ja/README.md');
  for (const page of guide.filter((p) => !p.endsWith('README.md'))) {
    assert.ok(index.includes(`](${path.basename(page)})`), `docs/ja/README.md links ${page}`);
    assert.match(read(page), /^英語の原文:[\s\S]{0,300}?\]\(\.\.\/[^)]+\.md/m, `${page} names its English source first`);
  }
  assert.ok(read('README.ja.md').includes('](docs/ja/README.md)'));
});
