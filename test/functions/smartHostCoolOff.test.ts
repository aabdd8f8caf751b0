// A cool-off through the real functions, Azurite and two development smart hosts: a route of
// `first` then `default`, where `first` answers every recipient 421 (busy, the host's own trouble).
// Each recipient fails over to `default`; the second failure in a row cools `first` off, so the next
// recipient goes straight to `default` (no SMTP session with `first`), the operators' stats list the
// cool-off (and so does the dashboard, in a real browser), and once it has ended `first` is tried
// again and, healthy again, delivers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Browser, chromium } from 'playwright-core';
import { startDevSmartHost, type DevSmartHost } from '../../src/local/devSmartHost';
import type { StatsView } from '../../src/relay/deliveryStats';
import { ADMIN_KEY, eventually, message, type RelayHarness, SMTP_USER, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

/** long enough for the third delivery to happen inside it on a busy machine, short enough to wait out */
const COOLOFF_SECONDS = 20;
const CHROMIUM = process.env.RELAY_CHROMIUM ?? '/usr/bin/chromium';
const BUSY = { code: 421, message: '4.7.28 Our system has detected an unusual rate of mail originating from your IP address' };

let relay: RelayHarness;
let first: DevSmartHost;
let browser: Browser;
/** RCPT TO commands `first` was sent: one per attempt through it */
const firstAttempts: string[] = [];
let firstBusy = true;

before(async () => {
  const password = randomBytes(12).toString('hex');
  first = await startDevSmartHost({
    port: 0,
    // the harness's certificate folder: one development CA, which the relay trusts, for both hosts
    certificateDir: path.join(os.tmpdir(), 'relay-test-certificate'),
    users: [{ username: SMTP_USER, password }],
    rules: {
      onRcpt: (address) => {
        firstAttempts.push(address);
        return firstBusy ? BUSY : undefined;
      },
    },
  });
  const policy = {
    builtIn: false,
    smartHosts: { first: { host: first.host, port: first.port, auth: 'login', username: SMTP_USER, passwordSetting: 'SMARTHOST_FIRST_PASSWORD' } },
    routes: [{ match: {}, smartHosts: ['first', 'default'] }],
  };
  relay = await startRelayHarness({
    env: {
      RELAY_POLICY_JSON: JSON.stringify(policy),
      SMARTHOST_FIRST_PASSWORD: password,
      RELAY_SMARTHOST_COOLOFF_FAILURES: '2',
      RELAY_SMARTHOST_COOLOFF_SECONDS: String(COOLOFF_SECONDS),
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await relay?.stop();
  await first?.stop();
});

interface RecipientWithHost {
  address: string;
  status: string;
  smartHost?: string;
}

/** Sends to one recipient and waits for its outcome; the host that handled it. */
async function deliver(to: string): Promise<RecipientWithHost> {
  const answer = await relay.send(message({ to }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const recipient = view.recipients[0] as unknown as RecipientWithHost;
  assert.equal(recipient.status, 'sent', JSON.stringify(view));
  return recipient;
}

const stats = async () => {
  const answer = await relay.request<StatsView>('GET', '/api/v1/stats?hours=1', { key: ADMIN_KEY });
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
};

/** The first row of the dashboard's cool-off table, as an operator's English browser shows it. */
async function dashboardCoolOffs(): Promise<string> {
  const page = await browser.newPage({ locale: 'en-US', timezoneId: 'UTC' });
  try {
    const response = await page.goto(`${relay.url}/api/dashboard?code=${encodeURIComponent(ADMIN_KEY)}`);
    assert.equal(response?.status(), 200);
    const row = page.locator('#cool-offs + table tbody tr').first();
    await row.waitFor();
    return (await row.locator('td').allTextContents()).join(' ');
  } finally {
    await page.close();
  }
}

test('a cool-off skips a failing host and later returns to it', FILE_TIMEOUT, async () => {
  assert.equal((await deliver('one@example.net')).smartHost, 'default', 'failed over from the busy host');
  assert.deepEqual(firstAttempts, ['one@example.net']);
  assert.deepEqual((await stats()).coolOffs, [], 'one failure in a row is not enough');

  assert.equal((await deliver('two@example.net')).smartHost, 'default');
  assert.deepEqual(firstAttempts, ['one@example.net', 'two@example.net'], 'the second failure in a row: first cools off');
  const [coolOff] = (await stats()).coolOffs;
  assert.equal(coolOff?.smartHost, 'first');
  assert.equal(coolOff?.failures, 2);
  assert.match(coolOff?.reason ?? '', /4\.7\.28/);

  assert.equal((await deliver('three@example.net')).smartHost, 'default');
  assert.ok(Date.now() < Date.parse(coolOff?.until ?? ''), 'the third delivery was inside the cool-off (else this test says nothing)');
  assert.deepEqual(firstAttempts, ['one@example.net', 'two@example.net'], 'skipped while it cools off: not one SMTP session');
  assert.ok(relay.smartHost.countFor('three@example.net') === 1);
  assert.match(await dashboardCoolOffs(), /^first\b.*\b2\b.*4\.7\.28/, 'the dashboard shows it');

  firstBusy = false;
  await eventually('the cool-off over', async () => ((await stats()).coolOffs.length === 0 ? true : undefined), (COOLOFF_SECONDS + 10) * 1000);
  assert.ok(Date.now() >= Date.parse(coolOff?.until ?? ''), 'not listed before its end');
  assert.equal((await deliver('four@example.net')).smartHost, 'first', 'tried again after the cool-off, and healthy again');
  assert.deepEqual(firstAttempts.slice(2), ['four@example.net']);
  assert.equal(first.countFor('four@example.net'), 1);
  assert.equal(relay.smartHost.countFor('four@example.net'), 0);
});
