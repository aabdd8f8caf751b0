// The relay's SDK clients and its XOAUTH2 token take the identity named by its own setting,
// RELAY_IDENTITY_CLIENT_ID, through ManagedIdentityCredential; AZURE_CLIENT_ID, which other
// connections on the host would also read, plays no part. The managed-identity endpoint is the
// loopback stub in test/support (only Azure has the real one).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config';
import { relayIdentityCredential } from '../../src/storage/clients';
import { type IdentityEndpoint, startIdentityEndpoint } from '../support/identityEndpoint';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const relayIdentity = '0a0a0a0a-1111-4222-8333-444444444444';
const minimal = {
  RELAY_ALLOWED_SENDER_DOMAINS: 'example.com',
  SMARTHOST_HOST: 'smtp.example.net',
  SMARTHOST_USERNAME: 'relay',
  SMARTHOST_PASSWORD: 'secret',
  AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
  AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
  AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
};

let identity: IdentityEndpoint;
const saved: Record<string, string | undefined> = {};

before(async () => {
  identity = await startIdentityEndpoint();
  // @azure/identity reads the managed-identity endpoint from the process environment, as in Azure.
  const env = { ...identity.env, AZURE_CLIENT_ID: '99999999-8888-4777-8666-555555555555' };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
after(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await identity?.close();
});

test('storage and the smart host take the identity from RELAY_IDENTITY_CLIENT_ID', FILE_TIMEOUT, () => {
  const config = loadConfig({ ...minimal, RELAY_IDENTITY_CLIENT_ID: relayIdentity, AzureWebJobsStorage__clientId: '77777777-1111-4222-8333-444444444444' });
  assert.equal(config.storage.kind === 'identity' && config.storage.clientId, relayIdentity);
  assert.equal(config.smartHost.identityClientId, relayIdentity);
});

test('a RELAY_IDENTITY_CLIENT_ID that is not a client id is named', FILE_TIMEOUT, () => {
  assert.throws(
    () => loadConfig({ ...minimal, RELAY_IDENTITY_CLIENT_ID: 'relay-identity' }),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && /^RELAY_IDENTITY_CLIENT_ID is "relay-identity": .*GUID/.test(err.problems[0]),
  );
});

test('the credential asks the managed-identity endpoint for the relay identity, not AZURE_CLIENT_ID', FILE_TIMEOUT, async () => {
  const token = await relayIdentityCredential(relayIdentity).getToken('https://storage.azure.com/.default');
  assert.ok(token && token.token.startsWith('token-'));
  const issued = identity.issued.find((t) => t.token === token.token);
  assert.ok(issued, 'the token came from the managed-identity endpoint');
  assert.equal(issued.clientId, relayIdentity);
  assert.equal(issued.resource, 'https://storage.azure.com');
});
