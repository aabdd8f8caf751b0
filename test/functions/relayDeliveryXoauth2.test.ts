// SMARTHOST_AUTH=xoauth2: the relay authenticates with a bearer token from @azure/identity, as for
// Exchange Online or Azure Communication Services. The token comes from a stand-in managed-identity
// endpoint (no Entra ID is reachable here); the smart host checks the very token that was issued.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { message, type RelayHarness, SMTP_USER, startRelayHarness } from '../support/relayHarness';
import { type IdentityEndpoint, startIdentityEndpoint } from '../support/identityEndpoint';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;
let identity: IdentityEndpoint;
const tokensPresented: string[] = [];

before(async () => {
  identity = await startIdentityEndpoint();
  relay = await startRelayHarness({
    env: {
      SMARTHOST_AUTH: 'xoauth2',
      SMARTHOST_PASSWORD: '',
      SMARTHOST_OAUTH_SCOPE: 'https://outlook.office365.com/.default',
      RELAY_IDENTITY_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      // Must not be the identity used: the relay names its identity with its own setting.
      AZURE_CLIENT_ID: '99999999-2222-3333-4444-555555555555',
      ...identity.env,
    },
    smartHost: {
      xoauth2: (username, token) => {
        tokensPresented.push(token);
        return username === SMTP_USER && identity.issued.some((t) => t.token === token);
      },
    },
  });
});
after(async () => {
  await relay?.stop();
  await identity?.close();
});

test('relays with an XOAUTH2 token from the managed identity', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'oauth@example.net' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0].status, 'sent');
  assert.equal(relay.smartHost.countFor('oauth@example.net'), 1);
  assert.ok(identity.issued.length >= 1);
  assert.equal(identity.issued[0].resource, 'https://outlook.office365.com');
  assert.equal(identity.issued[0].clientId, '11111111-2222-3333-4444-555555555555');
  assert.ok(tokensPresented.includes(identity.issued[0].token));
  await relay.waitForExecuted('relayDelivery', { invocationOf: `message ${answer.body.id} to oauth@example.net: sent` });
  assert.ok(!(await relay.loggedSoFar()).includes(identity.issued[0].token), 'tokens are never logged');
});
