import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute, parseRouteTemplate } from '../../src/local/httpRoute';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

test('literals match case-insensitively and parameters are decoded', FILE_TIMEOUT, () => {
  const template = parseRouteTemplate('api/v1/messages/{id}');
  assert.deepEqual(matchRoute(template, '/API/V1/Messages/a%3Fb%20c'), { id: 'a?b c' });
  assert.deepEqual(matchRoute(template, '/api/v1/messages/x/'), { id: 'x' });
  assert.equal(matchRoute(template, '/api/v1/messages'), undefined);
  assert.equal(matchRoute(template, '/api/v1/messages/x/y'), undefined);
});

test('constraints, optional parameters, defaults and catch-all', FILE_TIMEOUT, () => {
  const guid = parseRouteTemplate('api/items/{id:guid}');
  assert.deepEqual(matchRoute(guid, '/api/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301'), { id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' });
  assert.equal(matchRoute(guid, '/api/items/42'), undefined);

  const bounded = parseRouteTemplate('api/pages/{n:int:range(1,10)}/{format=html}');
  assert.deepEqual(matchRoute(bounded, '/api/pages/3'), { n: '3', format: 'html' });
  assert.deepEqual(matchRoute(bounded, '/api/pages/3/json'), { n: '3', format: 'json' });
  assert.equal(matchRoute(bounded, '/api/pages/11'), undefined);

  const optional = parseRouteTemplate('api/notes/{name:alpha?}');
  assert.deepEqual(matchRoute(optional, '/api/notes'), {});
  assert.deepEqual(matchRoute(optional, '/api/notes/abc'), { name: 'abc' });
  assert.equal(matchRoute(optional, '/api/notes/ab1'), undefined);

  // ASP.NET templates double the braces of a regex quantifier
  const regex = parseRouteTemplate('api/codes/{code:regex(^[a-z]{{2}}\\d+$)}');
  assert.deepEqual(matchRoute(regex, '/api/codes/AB12'), { code: 'AB12' });
  assert.equal(matchRoute(regex, '/api/codes/A12'), undefined);

  const files = parseRouteTemplate('api/files/{*path}');
  assert.deepEqual(matchRoute(files, '/api/files/a/b/c.txt'), { path: 'a/b/c.txt' });
  assert.deepEqual(matchRoute(files, '/api/files'), {});
});

test('an encoded slash in a route value matches nothing, as Azure answers 404 for it', FILE_TIMEOUT, () => {
  assert.equal(matchRoute(parseRouteTemplate('api/v1/messages/{id}'), '/api/v1/messages/a%2Fb'), undefined);
  assert.equal(matchRoute(parseRouteTemplate('api/v1/messages/{id}'), '/api/v1/messages/a%2fb'), undefined);
  assert.equal(matchRoute(parseRouteTemplate('api/files/{*path}'), '/api/files/a%2Fb'), undefined);
  assert.deepEqual(matchRoute(parseRouteTemplate('api/files/{*path}'), '/api/files/a/b'), { path: 'a/b' });
});

test('templates the host would reject fail with a message naming them', FILE_TIMEOUT, () => {
  assert.throws(() => parseRouteTemplate('api/items/{id:nosuch}'), /api\/items\/\{id:nosuch\}.*unknown route constraint "nosuch"/);
  assert.throws(() => parseRouteTemplate('api/{*rest}/tail'), /catch-all parameter must be the last segment/);
  assert.throws(() => parseRouteTemplate('api/file.{ext}'), /exactly one \{parameter\}/);
});

test('a literal may hold ":" (ACS\'s "emails:send"), as in ASP.NET Core templates; it matches encoded or not', FILE_TIMEOUT, () => {
  const send = parseRouteTemplate('emails:send');
  assert.deepEqual(send.segments, [{ kind: 'literal', text: 'emails:send' }]);
  assert.deepEqual(matchRoute(send, '/emails:send'), {});
  assert.deepEqual(matchRoute(send, '/Emails:Send'), {});
  assert.deepEqual(matchRoute(send, '/emails%3Asend'), {});
  assert.equal(matchRoute(send, '/emails'), undefined);
  assert.equal(matchRoute(send, '/emails:sendx'), undefined);
  assert.equal(matchRoute(send, '/api/emails:send'), undefined);
  // with routePrefix "" the other routes keep their own "api/" and do not take the root ones
  assert.equal(matchRoute(parseRouteTemplate('api/v1/messages'), '/emails:send'), undefined);
  assert.deepEqual(matchRoute(parseRouteTemplate('emails/operations/{id}'), '/emails/operations/0190a0b0-0000-7000-8000-000000000000'), {
    id: '0190a0b0-0000-7000-8000-000000000000',
  });
});
