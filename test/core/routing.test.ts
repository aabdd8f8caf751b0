// Which route a recipient takes: the first whose every condition holds (one row per case), `default`
// alone when none does, and a policy without routes answers the same constant without a look.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy } from '../../src/core/policy/check';
import { EMPTY_POLICY } from '../../src/core/policy/types';
import { DEFAULT_ROUTE, routeFor, type RouteQuery } from '../../src/core/routing';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const host = (name: string) => ({ host: `smtp.${name}.example`, username: 'relay', passwordSetting: 'P' });

const checked = checkPolicy(
  {
    smartHosts: { domestic: host('domestic'), exchange: host('exchange'), bulk: host('bulk') },
    routes: [
      { match: { destinations: ['jp-docomo', 'jp-au'] }, smartHosts: ['domestic', 'default'] },
      { match: { senderDomains: ['internal.contoso.com'] }, smartHosts: ['exchange'] },
      { match: { tags: { stream: 'bulk' }, recipientDomains: ['example.org'] }, smartHosts: ['bulk', 'default'], warmupOverflow: true },
      { match: { tags: { stream: 'bulk' } }, smartHosts: ['bulk'] },
    ],
  },
  'test',
);
if (!checked.ok) throw new Error(checked.problems.join('\n'));
const POLICY = checked.policy;

const query = (recipientDomain: string, senderDomain = 'example.com', tags: Record<string, string> = {}): RouteQuery => ({
  recipientDomain,
  senderDomain,
  tags,
});

const CASES: [string, RouteQuery, readonly string[], boolean][] = [
  ["a destination's domain", query('docomo.ne.jp'), ['domestic', 'default'], false],
  ["a subdomain of a destination's domain", query('mail.docomo.ne.jp'), ['domestic', 'default'], false],
  ['the other destination of the route', query('ezweb.ne.jp'), ['domestic', 'default'], false],
  ['a sender domain', query('example.net', 'internal.contoso.com'), ['exchange'], false],
  ['a subdomain of the sender domain', query('example.net', 'eu.internal.contoso.com'), ['exchange'], false],
  ['the first match wins: a destination before the sender', query('docomo.ne.jp', 'internal.contoso.com'), ['domestic', 'default'], false],
  ['a tag and a recipient domain, both holding', query('example.org', 'example.com', { stream: 'bulk' }), ['bulk', 'default'], true],
  ['the tag alone: the next route', query('example.net', 'example.com', { stream: 'bulk', team: 'a' }), ['bulk'], false],
  ['a tag with another value', query('example.net', 'example.com', { stream: 'news' }), ['default'], false],
  ['nothing matching', query('example.net'), ['default'], false],
];

for (const [what, q, hosts, overflow] of CASES) {
  test(`route: ${what}`, FILE_TIMEOUT, () => {
    const route = routeFor(POLICY, q);
    assert.deepEqual(route.smartHosts, hosts);
    assert.equal(route.warmupOverflow, overflow);
  });
}

test('no route matched and no routes at all both give the one default route', FILE_TIMEOUT, () => {
  assert.equal(routeFor(EMPTY_POLICY, query('docomo.ne.jp')), DEFAULT_ROUTE);
  assert.equal(routeFor(POLICY, query('example.net')), DEFAULT_ROUTE);
  assert.equal(DEFAULT_ROUTE.index, undefined);
});

test('a route with an empty match takes every recipient; routes without tags are looked up once per domain pair', FILE_TIMEOUT, () => {
  const all = checkPolicy({ smartHosts: { backup: host('backup') }, routes: [{ smartHosts: ['default', 'backup'] }] }, 'test');
  if (!all.ok) assert.fail(all.problems.join('\n'));
  const first = routeFor(all.policy, query('anything.example'));
  assert.deepEqual(first.smartHosts, ['default', 'backup']);
  assert.equal(routeFor(all.policy, query('anything.example')), first, 'the memo answers');
});
