// Routes and failover through the real functions, Azurite and real SMTP servers: a recipient whose
// route starts with a dead smart host (a loopback port nothing listens on, or a server that drops
// every connection) is sent through the second one, a live development smart host, and the row and
// the status answer name it; a 5xx from the
// first host bounces the recipient without asking the second; a recipient no route matches goes
// through `default`. Each named host's password comes from the app setting its passwordSetting names;
// an xoauth2 host takes its token with its own identity and scope (from a stand-in managed-identity
// endpoint: no Entra ID is reachable here).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type DevSmartHost, startDevSmartHost } from '../../src/local/devSmartHost';
import { type IdentityEndpoint, startIdentityEndpoint } from '../support/identityEndpoint';
import { message, type RelayHarness, SMTP_USER, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;
let second: DevSmartHost;
let exchange: DevSmartHost;
let identity: IdentityEndpoint;
/** accepts each connection and drops it at once, before any greeting */
let dropper: Server;
const EXCHANGE_IDENTITY = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const secondPassword = randomBytes(12).toString('hex');

/** A loopback port that was free a moment ago and has nothing listening: connecting is refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

before(async () => {
  // the same certificate folder as the harness's smart host, so the relay trusts both through one CA
  second = await startDevSmartHost({
    port: 0,
    certificateDir: path.join(os.tmpdir(), 'relay-test-certificate'),
    users: [{ username: SMTP_USER, password: secondPassword }],
  });
  dropper = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
  const dropperPort = (dropper.address() as { port: number }).port;
  identity = await startIdentityEndpoint();
  exchange = await startDevSmartHost({
    port: 0,
    certificateDir: path.join(os.tmpdir(), 'relay-test-certificate'),
    users: [],
    xoauth2: (username, token) => username === 'relay@contoso.example' && identity.issued.some((t) => t.token === token),
  });
  const policy = {
    smartHosts: {
      exchange: {
        host: exchange.host,
        port: exchange.port,
        auth: 'xoauth2',
        username: 'relay@contoso.example',
        oauthScope: 'https://mail.contoso.example/.default',
        identityClientId: EXCHANGE_IDENTITY,
      },
      dead: { host: '127.0.0.1', port: await deadPort(), username: SMTP_USER, passwordSetting: 'DEAD_SMARTHOST_PASSWORD' },
      dropper: { host: '127.0.0.1', port: dropperPort, username: SMTP_USER, passwordSetting: 'DEAD_SMARTHOST_PASSWORD' },
      second: { host: second.host, port: second.port, username: SMTP_USER, passwordSetting: 'SECOND_SMARTHOST_PASSWORD' },
    },
    routes: [
      { match: { recipientDomains: ['failover.example'] }, smartHosts: ['dead', 'second'] },
      { match: { recipientDomains: ['dropped.example'] }, smartHosts: ['dropper', 'second'] },
      { match: { recipientDomains: ['bounce.example'] }, smartHosts: ['default', 'second'] },
      { match: { senderDomains: ['example.com'] }, smartHosts: ['exchange'] },
    ],
  };
  relay = await startRelayHarness({
    env: {
      RELAY_POLICY_JSON: JSON.stringify(policy),
      DEAD_SMARTHOST_PASSWORD: 'nobody-listens',
      SECOND_SMARTHOST_PASSWORD: secondPassword,
      ...identity.env,
    },
  });
});
after(async () => {
  await relay?.stop();
  await second?.stop();
  await exchange?.stop();
  await identity?.close();
  await new Promise((resolve) => (dropper ? dropper.close(resolve) : resolve(undefined)));
});

test('a dead first smart host fails over to the live second one, which the row and the status answer name', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'user@failover.example' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const recipient = view.recipients[0];
  assert.equal(recipient?.status, 'sent');
  assert.equal(recipient?.smartHost, 'second');
  assert.equal(recipient?.attempts, 1, 'one attempt, two hosts');
  assert.equal(second.countFor('user@failover.example'), 1);
  assert.equal(relay.smartHost.countFor('user@failover.example'), 0);
  const row = await relay.clients.deliveries.getEntity(answer.body.id, 'user@failover.example');
  assert.equal(row.smartHost, 'second', 'on the deliveries row');
  const logged = await relay.loggedSoFar();
  assert.match(logged, /smart host dead failed \(connection: /);
  assert.match(logged, /failing over to smart host second/);
  assert.ok(!logged.includes(secondPassword), 'no password in the log');
});

test('a first smart host that drops the connection fails over to the second one', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'user@dropped.example' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0]?.status, 'sent');
  assert.equal(view.recipients[0]?.smartHost, 'second');
  assert.equal(second.countFor('user@dropped.example'), 1);
  assert.match(await relay.loggedSoFar(), /smart host dropper failed \(connection: /);
});

test('a 5xx from the first smart host bounces the recipient: no failover', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'bounce-x@bounce.example' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const recipient = view.recipients[0];
  assert.equal(recipient?.status, 'bounced');
  assert.equal(recipient?.smtpCode, 550);
  assert.equal(recipient?.smartHost, 'default');
  assert.equal(second.messages.filter((m) => m.to.includes('bounce-x@bounce.example')).length, 0, 'the second host is not asked');
});

test('a recipient no route matches goes through default, and the status says so', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'someone@example.net' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0]?.status, 'sent');
  assert.equal(view.recipients[0]?.smartHost, 'default');
  assert.equal(relay.smartHost.countFor('someone@example.net'), 1);
  assert.equal(second.countFor('someone@example.net'), 0);
});

test('an xoauth2 smart host takes its token with its own identity and scope', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ from: 'Internal <app@example.com>', to: 'colleague@example.net' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0]?.status, 'sent', JSON.stringify(view.recipients[0]));
  assert.equal(view.recipients[0]?.smartHost, 'exchange');
  assert.equal(exchange.countFor('colleague@example.net'), 1);
  const token = identity.issued.find((t) => t.clientId === EXCHANGE_IDENTITY);
  assert.ok(token, 'a token of its own identity');
  assert.equal(token.resource, 'https://mail.contoso.example');
  assert.ok(!(await relay.loggedSoFar()).includes(token.token), 'tokens are never logged');
});
