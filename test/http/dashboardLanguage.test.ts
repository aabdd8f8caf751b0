// The dashboard's language: chosen by the relay from ?lang=, the switch's cookie and Accept-Language,
// rendered into the page it serves (lang attribute, labels, the labels' data block), with every
// label in the message table for every language and every label the page uses in that table.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CATEGORIES } from '../../src/core/categories';
import { DASHBOARD_LANGUAGES, dashboardLanguage } from '../../src/http/dashboardLanguage';
import { dashboardResponse } from '../../src/http/dashboardPage';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const source = path.resolve(__dirname, '..', '..', '..', 'src', 'http', 'dashboard');
const messages = JSON.parse(readFileSync(path.join(source, 'messages.json'), 'utf8')) as Record<string, Record<string, string>>;
const read = (file: string) => readFileSync(path.join(source, file), 'utf8');
const bodyOf = (body: unknown) => (typeof body === 'string' ? body : assert.fail('the page is a string'));
const page = (ask: Parameters<typeof dashboardResponse>[0]) => bodyOf(dashboardResponse(ask).body);
const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('choosing the language', FILE_TIMEOUT, () => {
  for (const [label, ask, expected] of [
    ['no hint at all', {}, 'en'],
    ['Accept-Language ja', { acceptLanguage: 'ja' }, 'ja'],
    ['a Japanese browser', { acceptLanguage: 'ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7' }, 'ja'],
    ['an English browser', { acceptLanguage: 'en-US,en;q=0.9' }, 'en'],
    ['q-values, not order, rank', { acceptLanguage: 'en;q=0.5, ja;q=0.8' }, 'ja'],
    ['a language the page lacks is passed over', { acceptLanguage: 'fr-FR, ja;q=0.3' }, 'ja'],
    ['q=0 refuses a language', { acceptLanguage: 'ja;q=0, en;q=0.1' }, 'en'],
    ['only languages the page lacks', { acceptLanguage: 'de, fr' }, 'en'],
    ['a malformed header', { acceptLanguage: ';;,=q,ja;q=abc' }, 'en'],
    ['the remembered choice wins over the browser', { acceptLanguage: 'ja', cookie: 'other=1; relay-dashboard-lang=en' }, 'en'],
    ['?lang= wins over both', { acceptLanguage: 'en', cookie: 'relay-dashboard-lang=en', query: 'ja' }, 'ja'],
    ['an unknown ?lang= is passed over', { acceptLanguage: 'ja', query: 'xx' }, 'ja'],
    ['an unknown cookie value is passed over', { acceptLanguage: 'ja', cookie: 'relay-dashboard-lang=<script>' }, 'ja'],
  ] as const) {
    test(label, () => assert.equal(dashboardLanguage(ask), expected));
  }
});

test('the Japanese page is Japanese from the first paint, under the same policy', FILE_TIMEOUT, () => {
  const answer = dashboardResponse({ acceptLanguage: 'ja-JP' });
  const headers = answer.headers as Record<string, string>;
  const html = bodyOf(answer.body);
  assert.match(html, /<html lang="ja">/);
  assert.equal(headers['Content-Language'], 'ja');
  assert.match(headers.Vary ?? '', /Accept-Language/);
  assert.match(html, /<title>SMTP リレー: ダッシュボード<\/title>/);
  assert.match(html, /<h2>最近のバウンスと配信失敗<\/h2>/);
  assert.match(html, /<option value="ja" selected>日本語<\/option>/);
  assert.doesNotMatch(html, /\{\{[\w.]+\}\}/, 'no label left unfilled');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
  assert.deepEqual(
    (headers['Content-Security-Policy'] ?? '')
      .split('; ')
      .find((d) => d.startsWith('script-src '))
      ?.split(' ')
      .slice(1),
    scripts.map(hash),
  );
  const data = /<script type="application\/json" id="messages">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  assert.deepEqual(JSON.parse(data), messages.ja, "the page's scripts read the Japanese labels");
  const english = page({});
  assert.match(english, /<html lang="en">/);
  assert.match(english, /<h2>Latest bounces and failures<\/h2>/);
});

test('every language has every label, and no label is empty', FILE_TIMEOUT, () => {
  assert.deepEqual(Object.keys(messages).sort(), [...DASHBOARD_LANGUAGES].sort());
  const english = Object.keys(messages.en ?? {}).sort();
  for (const language of DASHBOARD_LANGUAGES) {
    assert.deepEqual(Object.keys(messages[language] ?? {}).sort(), english, `${language} has the same labels as en`);
    for (const [key, text] of Object.entries(messages[language] ?? {})) assert.notEqual(text.trim(), '', `${language}.${key}`);
    for (const key of english) {
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(names(messages[language]?.[key] ?? ''), names(messages.en?.[key] ?? ''), `${language}.${key} fills the same placeholders`);
    }
  }
});

test('every label the page uses is in the table, and the table holds no unused label', FILE_TIMEOUT, () => {
  const scripts = ['dom.js', 'search.js', 'app.js'].map(read).join('\n');
  const used = new Set([...read('page.html').matchAll(/\{\{([\w.]+)\}\}/g)].map((m) => m[1] ?? '').filter((k) => k !== 'lang'));
  for (const m of scripts.matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1] ?? '');
  // keys built from a list: t(`status.${s}`), t(`problems.column.${c}`) and the like
  const families = [...scripts.matchAll(/\bt\(`([\w.]+)\.\$\{/g)].map((m) => `${m[1]}.`);
  used.add('language.name'); // the switch's options, written by the build
  const keys = Object.keys(messages.en ?? {});
  for (const key of used) assert.ok(keys.includes(key), `${key} is used but missing from messages.json`);
  const unused = keys.filter((k) => !used.has(k) && !families.some((f) => k.startsWith(f)) && !/^(status|messageStatus)\./.test(k));
  assert.deepEqual(unused, [], 'labels nothing uses');
  assert.doesNotMatch(
    scripts.replace(/^\s*(\/\/|\*|\/\*).*$/gm, ''),
    /(empty|showNotice)\(\s*['`][A-Z]/,
    'no English sentence is written into the page outside the table',
  );
});

test('every category the relay gives has its meaning in every language, and the table names no other', FILE_TIMEOUT, () => {
  for (const language of DASHBOARD_LANGUAGES) {
    const described = Object.keys(messages[language] ?? {})
      .filter((k) => k.startsWith('category.'))
      .map((k) => k.slice('category.'.length));
    assert.deepEqual(described.sort(), [...CATEGORIES].sort(), `${language}: category.<name> for each category of src/core/categories.ts`);
  }
});
