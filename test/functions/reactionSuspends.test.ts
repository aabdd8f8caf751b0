// NEEDS THE POLICY BRANCH: the host reads RELAY_POLICY_JSON only once src/policyFile.ts does (the
// policy branch). Until then this file is compiled and linted but not run (it is no *.test.ts);
// at the merge it is renamed reactionSuspends.test.ts.
//
// A reaction through the real functions, Azurite and the development smart host: two [TSS04]
// deferrals from a carrier's destination reach the rule's threshold (2 in an hour, counted in the
// suspensions table) and suspend the destination; the next recipient to it is held with heldBy, a
// recipient elsewhere is sent, the operator sees the suspension and lifts it, and the held recipient
// is then sent once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import type { SuspensionView } from '../../src/relay/suspensionList';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const POLICY = {
  builtIn: false,
  destinations: { 'jp-carrier': { domains: ['carrier.example'] } },
  reactions: [
    {
      name: 'carrier-tss04',
      match: '\\[TSS04\\]',
      destinations: ['jp-carrier'],
      threshold: '2/h',
      action: 'suspend',
      target: 'destination',
      duration: '1h',
    },
  ],
};

let relay: RelayHarness;
/** while true, the development smart host answers its `tss04-` recipients with Yahoo's [TSS04] deferral */
let deferring = true;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_POLICY_JSON: JSON.stringify(POLICY), RELAY_HOLD_RECHECK_SECONDS: '1' } });
  // once the suspension is in, their retries are taken, so a lift is not undone by the next [TSS04]
  relay.smartHost.setRules({ onRcpt: (address) => (deferring ? undefined : { code: 250, message: `2.1.5 ${address} ok` }) });
});
after(async () => {
  await relay?.stop();
});

const list = () => relay.request<{ items: SuspensionView[] }>('GET', '/api/v1/suspensions', { key: ADMIN_KEY });

test('[TSS04] twice suspends the destination; its next recipient is held until the operator lifts it, then sent', FILE_TIMEOUT, async () => {
  const triggers = await relay.send(message({ to: ['tss04-1@carrier.example', 'tss04-2@carrier.example'] }));
  assert.equal(triggers.status, 202, triggers.text);
  const [suspension] = await eventually('the destination suspended', async () => {
    const { body } = await list();
    return body.items.length > 0 ? body.items : undefined;
  });
  assert.equal(suspension?.kind, 'destination');
  assert.equal(suspension?.name, 'jp-carrier');
  assert.equal(suspension?.source, 'reaction');
  assert.equal(suspension?.rule, 'carrier-tss04');
  assert.equal(suspension?.rateFactor, null);
  assert.match(suspension?.reason ?? '', /^421 4\.7\.0 \[TSS04\]/);
  assert.equal(Date.parse(suspension?.until ?? '') - Date.parse(suspension?.createdAt ?? ''), 3600_000);
  // the line is written after the suspension is stored, and reaches the host's output a moment later
  const warned = () => relay.hostOutput.filter((l) => /reaction carrier-tss04: destination jp-carrier suspended until /.test(l)).length;
  await eventually('the warn line for the suspension', () => (warned() > 0 ? true : undefined));
  assert.equal(warned(), 1, 'one warn line for the suspension');
  deferring = false;

  const held = await relay.send(message({ to: 'after@carrier.example' }));
  const elsewhere = await relay.send(message({ to: 'elsewhere@example.net' }));
  const heldView = await relay.waitForStatus(held.body.id, (v) => v.recipients[0]?.heldBy === 'suspended:destination:jp-carrier');
  assert.equal(heldView.recipients[0]?.status, 'queued');
  await relay.waitForStatus(elsewhere.body.id, (v) => v.recipients[0]?.status === 'sent');
  // the two that set it off are held as well, at their retries
  await relay.waitForStatus(triggers.body.id, (v) => v.recipients.every((r) => r.heldBy === 'suspended:destination:jp-carrier'));
  assert.equal(relay.smartHost.countFor('after@carrier.example'), 0);

  const lifted = await relay.request('DELETE', '/api/v1/suspensions/destination/jp-carrier', { key: ADMIN_KEY });
  assert.equal(lifted.status, 204, lifted.text);
  const sent = await relay.waitForStatus(held.body.id, (v) => v.recipients[0]?.status === 'sent');
  assert.equal(sent.recipients[0]?.heldBy, null);
  assert.equal(relay.smartHost.countFor('after@carrier.example'), 1);
  await relay.waitForStatus(triggers.body.id, (v) => v.recipients.every((r) => r.status === 'sent'));
  assert.deepEqual((await list()).body, { items: [] });
});
