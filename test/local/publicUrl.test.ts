// The local host gives the app its own address as RELAY_PUBLIC_URL before the app loads, unless the
// settings name one: the unsubscribe links of a host on an ephemeral port must point at that port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnHost, writeFixtureApp } from './hostFixtures';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

async function publicUrlSeen(env: Record<string, string>): Promise<{ url: string; seen: string }> {
  const host = await spawnHost(writeFixtureApp('publicUrl/*.js', { version: '2.0' }), env);
  try {
    const answer = await fetch(`${host.url}/api/public-url`);
    assert.equal(answer.status, 200);
    return { url: host.url, seen: await answer.text() };
  } finally {
    await host.stop();
  }
}

test('unset: the app reads the address the host listens on, port included', FILE_TIMEOUT, async () => {
  const { url, seen } = await publicUrlSeen({ RELAY_PUBLIC_URL: '' });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(new URL(url).port, '0');
  assert.equal(seen, url);
});

test('set: the app reads the setting as given', FILE_TIMEOUT, async () => {
  const { seen } = await publicUrlSeen({ RELAY_PUBLIC_URL: 'https://relay.example.jp' });
  assert.equal(seen, 'https://relay.example.jp');
});
