// Suspensions through the real functions, Azurite and the development smart host: an operator
// suspends the default smart host, a message accepted meanwhile is held (heldBy, no SMTP transaction
// however often it is looked at again), the list shows the suspension, a lift releases the recipient
// and it is sent once. A slow-down holds nothing; names the relay does not send through are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import type { SuspensionView } from '../../src/relay/suspensionList';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

let relay: RelayHarness;

before(async () => {
  // a hold is looked at again every second
  relay = await startRelayHarness({ env: { RELAY_HOLD_RECHECK_SECONDS: '1' } });
});
after(async () => {
  await relay?.stop();
});

const put = (path: string, body: unknown) => relay.request<SuspensionView>('PUT', `/api/v1/suspensions/${path}`, { key: ADMIN_KEY, body });
const list = () => relay.request<{ items: SuspensionView[] }>('GET', '/api/v1/suspensions', { key: ADMIN_KEY });
const refused = (path: string, body: unknown) => relay.request('PUT', `/api/v1/suspensions/${path}`, { key: ADMIN_KEY, body });
const lift = (path: string) => relay.request('DELETE', `/api/v1/suspensions/${path}`, { key: ADMIN_KEY });

test('the smart host suspended: a recipient is held, listed, and sent once the operator lifts it', FILE_TIMEOUT, async () => {
  const suspended = await put('smartHost/default', { reason: 'upstream asked us to stop', duration: '1h' });
  assert.equal(suspended.status, 201, suspended.text);
  assert.equal(suspended.body.kind, 'smartHost');
  assert.equal(suspended.body.name, 'default');
  assert.equal(suspended.body.source, 'manual');
  assert.equal(suspended.body.rateFactor, null);
  const until = Date.parse(suspended.body.until) - Date.parse(suspended.body.createdAt);
  assert.equal(until, 3600_000);

  const listed = await list();
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, { items: [suspended.body] });

  const accepted = await relay.send(message({ to: 'held-by-suspension@example.net' }));
  assert.equal(accepted.status, 202, 'a suspension holds, it does not refuse');
  const held = await relay.waitForStatus(accepted.body.id, (v) => v.recipients[0]?.heldBy === 'suspended:smartHost:default');
  assert.equal(held.recipients[0]?.status, 'queued');
  assert.equal(held.recipients[0]?.attempts, 0);
  assert.ok(held.recipients[0]?.nextAttemptAt, 'nextAttemptAt: the next look');
  // looked at again (every second) and held again, never sent
  await eventually('the hold looked at twice', () => {
    const looks = relay.hostOutput.filter((l) => l.includes('held-by-suspension@example.net: held, smartHost default is suspended until'));
    return looks.length >= 2 ? looks : undefined;
  });
  assert.equal(relay.smartHost.countFor('held-by-suspension@example.net'), 0);

  const lifted = await lift('smartHost/default');
  assert.equal(lifted.status, 204, lifted.text);
  const sent = await relay.waitForStatus(accepted.body.id, (v) => v.recipients[0]?.status === 'sent');
  assert.equal(sent.recipients[0]?.heldBy, null);
  assert.equal(sent.recipients[0]?.attempts, 1);
  assert.equal(relay.smartHost.countFor('held-by-suspension@example.net'), 1);
  assert.deepEqual((await list()).body, { items: [] });
  assert.equal((await lift('smartHost/default')).status, 404, 'nothing left to lift');
  assert.ok(
    relay.hostOutput.some((l) => /smartHost default suspended until .* by an operator \(created\)/.test(l)),
    'the suspension is logged',
  );
});

test('a slow-down holds nothing: the recipient is sent; replacing it answers 200', FILE_TIMEOUT, async () => {
  const slowed = await put('smartHost/default', { reason: 'warming up', duration: '10m', rateFactor: 0.5 });
  assert.equal(slowed.status, 201, slowed.text);
  const replaced = await put('smartHost/default', { reason: 'warming up, slower', duration: '20m', rateFactor: 0.25 });
  assert.equal(replaced.status, 200, replaced.text);
  assert.equal(replaced.body.rateFactor, 0.25);
  const accepted = await relay.send(message({ to: 'slowed@example.net' }));
  const view = await relay.waitForStatus(accepted.body.id, (v) => v.recipients[0]?.status === 'sent');
  assert.equal(view.recipients[0]?.heldBy, null);
  assert.equal((await lift('smartHost/default')).status, 204);
});

test('only what the relay sends through can be suspended; the refusal names it and stores nothing', FILE_TIMEOUT, async () => {
  const other = await refused('smartHost/acs', { reason: 'x', duration: '1h' });
  assert.equal(other.status, 422, other.text);
  assert.match(other.body.detail, /no smartHost is named "acs"; the relay sends through "default"/);
  const destination = await refused('destination/jp-nowhere', { reason: 'x', duration: '1h' });
  assert.equal(destination.status, 422, destination.text);
  assert.equal(destination.body.errors[0]?.field, 'name');
  const kind = await refused('carrier/default', { reason: 'x', duration: '1h' });
  assert.equal(kind.status, 404, kind.text);
  assert.equal(kind.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual((await list()).body, { items: [] });
});
