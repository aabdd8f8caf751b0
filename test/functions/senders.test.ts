// The bounce-rate breaker through the real functions: 550 5.1.1 bounces from the development smart
// host push a sender domain over the pause rate, its next message is accepted and held (no SMTP
// transaction while paused, however often it is rechecked), the operator sees the pause and resumes,
// and the held message is then sent exactly once. Bad input to the operator endpoints is refused
// without a 5xx and without changing anything.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, eventually, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import type { SenderView } from '../../src/relay/ports';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({
    // four attempts make a volume; a hold is looked at again every second (and the breaker's
    // counts and cache follow: see breakerRefreshMs)
    env: { RELAY_BREAKER_MIN_VOLUME: '4', RELAY_HOLD_RECHECK_SECONDS: '1', RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp,example.com,example.org' },
  });
});
after(async () => {
  await relay?.stop();
});

function sender(domain: string, key: string | null = ADMIN_KEY) {
  return relay.request<SenderView>('GET', `/api/v1/senders/${domain}`, { key });
}

function resume(domain: string, key: string | null = ADMIN_KEY) {
  return relay.request<SenderView>('POST', `/api/v1/senders/${domain}/resume`, { key });
}

test('bounces pause the sender domain; its next message is held until an operator resumes it, then sent once', FILE_TIMEOUT, async () => {
  const before = await sender('example.jp');
  assert.equal(before.status, 200);
  assert.equal(before.body.state, 'active');
  assert.equal(before.body.attempts, 0);

  const bounces = await relay.send(message({ to: ['bounce-1@example.net', 'bounce-2@example.net', 'bounce-3@example.net', 'bounce-4@example.net'] }));
  assert.equal(bounces.status, 202);
  await relay.waitForStatus(bounces.body.id, (v) => v.recipients.every((r) => r.status === 'bounced'));

  const paused = await eventually('the sender domain paused', async () => {
    const view = await sender('example.jp');
    return view.body.state === 'paused' ? view.body : undefined;
  });
  assert.equal(paused.attempts, 4);
  assert.equal(paused.hardBounces, 4);
  assert.equal(paused.bounceRate, 100);
  assert.match(paused.pausedReason ?? '', /hard-bounce rate 100 % of 4 attempts is above RELAY_BOUNCE_PAUSE_PERCENT \(10 %\)/);
  assert.equal(paused.thresholds.minVolume, 4);
  // written by the instance whose write made the pause, after that write: it may trail the view
  await eventually('the pause logged', () => relay.hostOutput.find((l) => /sender example\.jp: paused: hard-bounce rate 100 %/.test(l)));
  assert.equal(relay.hostOutput.filter((l) => /sender example\.jp: paused:/.test(l)).length, 1, 'logged once');

  const held = await relay.send(message({ to: 'held@example.net', subject: 'held while paused' }));
  assert.equal(held.status, 202, 'a paused sender is still accepted');
  const heldView = await relay.waitForStatus(held.body.id, (v) => v.recipients[0]?.heldBy === 'sender-paused:example.jp');
  assert.equal(heldView.recipients[0]?.status, 'queued');
  assert.equal(heldView.recipients[0]?.attempts, 0);
  const label = `message ${held.body.id} to held@example.net`;
  // held, and looked at again, at least three times: none of them reached the smart host
  await relay.waitForExecuted('relayDelivery', { invocationOf: `${label}: held`, count: 3, timeoutMs: 30_000 });
  assert.equal(relay.smartHost.messages.filter((m) => m.to.includes('held@example.net')).length, 0);
  assert.doesNotMatch(relay.hostOutput.join('\n'), new RegExp(`${label}: sending`));

  const other = await relay.send(message({ from: 'app@example.com', to: 'other@example.net' }));
  await relay.waitForStatus(other.body.id, (v) => v.recipients[0]?.status === 'sent');

  const resumed = await resume('example.jp');
  assert.equal(resumed.status, 200);
  assert.equal(resumed.body.state, 'active');
  assert.equal(resumed.body.attempts, 0, 'counting starts again');
  assert.notEqual(resumed.body.resumedAt, null);

  const sent = await relay.waitForStatus(held.body.id, (v) => v.recipients[0]?.status === 'sent', 30_000);
  assert.equal(sent.recipients[0]?.heldBy, null);
  assert.equal(sent.recipients[0]?.attempts, 1);
  await relay.waitForExecuted('relayDelivery', { invocationOf: `${label}: sent` });
  assert.equal(relay.smartHost.messages.filter((m) => m.to.includes('held@example.net')).length, 1);
  assert.equal(relay.hostOutput.filter((l) => l.includes(`${label}: sending`)).length, 1);

  const again = await resume('example.jp');
  assert.equal(again.status, 200, 'resuming an active domain is answered as it is');
  assert.equal(again.body.resumedAt, resumed.body.resumedAt);
});

test('an allowed domain never seen reads as active with zero counts; the operator can pause it with a reason', FILE_TIMEOUT, async () => {
  const view = await sender('EXAMPLE.org');
  assert.equal(view.status, 200);
  assert.deepEqual(
    { ...view.body, windowStart: undefined },
    {
      domain: 'example.org',
      state: 'active',
      windowStart: undefined,
      attempts: 0,
      hardBounces: 0,
      complaints: 0,
      bounceRate: 0,
      complaintRate: 0,
      pausedAt: null,
      pausedReason: null,
      resumedAt: null,
      thresholds: relay.config.breaker,
    },
  );
  const pause = await relay.request<SenderView>('POST', '/api/v1/senders/example.org/pause', { key: ADMIN_KEY, body: { reason: 'customer complaint' } });
  assert.equal(pause.status, 200);
  assert.equal(pause.body.state, 'paused');
  assert.equal(pause.body.pausedReason, 'paused by an operator: customer complaint');
  const resumed = await resume('example.org');
  assert.equal(resumed.body.state, 'active');
});

test('bad input: refused with problem+json, never 5xx, nothing changed', FILE_TIMEOUT, async () => {
  const beforeView = (await sender('example.com')).body;
  const cases: { method: string; path: string; key: string | null; body?: unknown; headers?: Record<string, string>; status: number }[] = [
    { method: 'GET', path: '/api/v1/senders/example.com', key: FUNCTION_KEY, status: 401 },
    { method: 'POST', path: '/api/v1/senders/example.com/resume', key: FUNCTION_KEY, status: 401 },
    { method: 'POST', path: '/api/v1/senders/example.com/pause', key: FUNCTION_KEY, body: { reason: 'x' }, status: 401 },
    { method: 'GET', path: '/api/v1/senders/example.com', key: null, status: 401 },
    { method: 'POST', path: '/api/v1/senders/example.com/resume', key: 'wrong-key', status: 401 },
    { method: 'GET', path: '/api/v1/senders/example.net', key: ADMIN_KEY, status: 404 },
    { method: 'POST', path: '/api/v1/senders/example.net/resume', key: ADMIN_KEY, status: 404 },
    { method: 'POST', path: '/api/v1/senders/example.net/pause', key: ADMIN_KEY, body: { reason: 'x' }, status: 404 },
    { method: 'GET', path: '/api/v1/senders/not_a_domain', key: ADMIN_KEY, status: 400 },
    { method: 'GET', path: '/api/v1/senders/localhost', key: ADMIN_KEY, status: 400 },
    { method: 'GET', path: '/api/v1/senders/%5B127.0.0.1%5D', key: ADMIN_KEY, status: 400 },
    { method: 'GET', path: '/api/v1/senders/example.com%0D%0A', key: ADMIN_KEY, status: 400 },
    { method: 'GET', path: `/api/v1/senders/${'a'.repeat(260)}.com`, key: ADMIN_KEY, status: 400 },
    { method: 'POST', path: "/api/v1/senders/o'brien.com/resume", key: ADMIN_KEY, status: 400 },
    { method: 'POST', path: '/api/v1/senders/example.com/pause', key: ADMIN_KEY, body: {}, status: 400 },
    { method: 'POST', path: '/api/v1/senders/example.com/pause', key: ADMIN_KEY, body: { reason: 'x', extra: 1 }, status: 400 },
    {
      method: 'POST',
      path: '/api/v1/senders/example.com/pause',
      key: ADMIN_KEY,
      body: '{"reason":',
      headers: { 'content-type': 'application/json' },
      status: 400,
    },
    { method: 'POST', path: '/api/v1/senders/example.com/pause', key: ADMIN_KEY, body: 'reason=x', headers: { 'content-type': 'text/plain' }, status: 415 },
  ];
  for (const c of cases) {
    const answer = await relay.request(c.method, c.path, { key: c.key, body: c.body, headers: c.headers });
    assert.equal(answer.status, c.status, `${c.method} ${c.path}: ${answer.text}`);
    if (c.status !== 401) {
      assert.equal(answer.headers.get('content-type'), 'application/problem+json', `${c.method} ${c.path}`);
      assert.equal(answer.body.status, c.status);
    }
  }
  const afterView = (await sender('example.com')).body;
  assert.deepEqual({ ...afterView, windowStart: undefined }, { ...beforeView, windowStart: undefined });
  assert.equal(afterView.state, 'active');
});
