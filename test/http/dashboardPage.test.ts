// The dashboard page as the build bundles it: everything inline (nothing fetched from a CDN or any
// other origin), the Content-Security-Policy allowing exactly those inline blocks by their hashes,
// and the page holding no data of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { dashboardResponse } from '../../src/http/dashboardPage';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const answer = dashboardResponse();
const html = typeof answer.body === 'string' ? answer.body : assert.fail('the page is a string');
const headers = answer.headers as Record<string, string>;
const csp = headers['Content-Security-Policy'] ?? '';
const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const blocks = (tag: string) => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
const directive = (name: string) => (csp.split('; ').find((d) => d.startsWith(`${name} `)) ?? '').split(' ').slice(1);

test('is one HTML page in UTF-8 that loads nothing from elsewhere', FILE_TIMEOUT, () => {
  assert.equal(answer.status, 200);
  assert.equal(headers['Content-Type'], 'text/html; charset=utf-8');
  assert.match(html, /<meta charset="utf-8" \/>/);
  assert.doesNotMatch(html, /<script[^>]+src=/i, 'no external script');
  assert.doesNotMatch(html, /<link[^>]+rel="stylesheet"/i, 'no external style sheet');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no other origin');
  assert.ok(
    blocks('script').some((s) => s.includes('uPlot')),
    'uPlot from node_modules is inlined',
  );
});

test('the policy allows exactly the inline scripts and styles, by hash, and connects to its own origin only', FILE_TIMEOUT, () => {
  assert.match(csp, /^default-src 'none'; /);
  assert.deepEqual(directive('script-src'), blocks('script').map(hash));
  assert.deepEqual(directive('style-src'), blocks('style').map(hash));
  assert.deepEqual(directive('connect-src'), ["'self'"]);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(directive('frame-ancestors').join(' '), "'none'");
  assert.equal(headers['Referrer-Policy'], 'no-referrer', 'the ?code= in the address goes nowhere else');
  assert.equal(headers['Cache-Control'], 'no-store');
});

test('renders values as text: no script writes HTML from data', FILE_TIMEOUT, () => {
  const own = blocks('script').filter((s) => !s.includes('var uPlot='));
  assert.ok(own.length >= 3, 'the page has its own scripts');
  for (const script of own) assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
});
