// Japanese carrier needs through the real functions, Azurite and the development smart host: an old
// docomo address that breaks RFC 5322 (`taro.@docomo.ne.jp`) is accepted as a new user would send it
// and arrives as `RCPT TO:<"taro."@docomo.ne.jp>`; its quoted and unquoted spellings are one
// recipient and one suppression entry; and a destination with `charset: "iso-2022-jp"` gets its
// subject and text in ISO-2022-JP (7-bit, with escape sequences) that decode back to the original,
// while the message's other recipients still get UTF-8.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { recipientTag } from '../../src/core/verp';
import { ADMIN_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const POLICY = { destinations: { 'jp-docomo': { charset: 'iso-2022-jp' } } };
const BOUNCE_DOMAIN = 'bounces.example.jp';

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_POLICY_JSON: JSON.stringify(POLICY), RELAY_BOUNCE_DOMAIN: BOUNCE_DOMAIN } });
});
after(async () => {
  await relay?.stop();
});

function received(recipient: string) {
  return relay.smartHost.messages.filter((m) => m.to.includes(recipient));
}

test('a new user sends to taro.@docomo.ne.jp: 202, delivered, RCPT TO with the quoted local part', FILE_TIMEOUT, async () => {
  const accepted = await relay.send(message({ to: 'taro.@docomo.ne.jp', subject: 'Hello', text: 'ascii only' }));
  assert.equal(accepted.status, 202, accepted.text);
  assert.deepEqual(accepted.body.recipients, [{ address: '"taro."@docomo.ne.jp', status: 'queued' }]);
  const done = await relay.waitForStatus(accepted.body.id, (v) => v.status === 'completed');
  assert.equal(done.recipients[0]?.status, 'sent', JSON.stringify(done.recipients[0]));
  // smart host keeps, as `to`, exactly the text between "RCPT TO:<" and ">"
  const [mail] = received('"taro."@docomo.ne.jp');
  assert.ok(mail, `received: ${JSON.stringify(relay.smartHost.messages.map((m) => m.to))}`);
  assert.deepEqual(mail.to, ['"taro."@docomo.ne.jp']);
  assert.match(mail.raw.toString('latin1'), /^To: <"taro\."@docomo\.ne\.jp>$/m, 'the header too is RFC 5322');
  // the VERP return path is made from the key, so a bounce to it names this recipient
  assert.equal(mail.from, `bounces+${accepted.body.id}.${recipientTag('taro.@docomo.ne.jp')}@${BOUNCE_DOMAIN}`);
  const row = await relay.clients.deliveries.getEntity<{ address: string }>(accepted.body.id, 'taro.@docomo.ne.jp');
  assert.equal(row.address, '"taro."@docomo.ne.jp', 'stored under the unquoted key');
});

test('both spellings are one recipient and one suppression entry; other domains still refuse the dotted form', FILE_TIMEOUT, async () => {
  const both = await relay.send(message({ to: ['taro..x@docomo.ne.jp', '"taro..x"@docomo.ne.jp'] }));
  assert.equal(both.status, 202, both.text);
  assert.equal(both.body.recipients.length, 1, 'one mailbox');
  await relay.waitForStatus(both.body.id, (v) => v.recipients[0]?.status === 'sent');
  assert.equal(received('"taro..x"@docomo.ne.jp').length, 1, 'delivered once, with the quoted local part in RCPT TO');

  const put = await relay.request('PUT', `/api/v1/suppressions/${encodeURIComponent('"hanako."@docomo.ne.jp')}`, {
    key: ADMIN_KEY,
    body: { reason: 'asked us to stop' },
  });
  assert.equal(put.status, 201, put.text);
  const found = await relay.request<{ address: string }>('GET', '/api/v1/suppressions/hanako.@docomo.ne.jp', { key: ADMIN_KEY });
  assert.equal(found.status, 200, found.text);
  assert.equal(found.body.address, 'hanako.@docomo.ne.jp');
  const suppressed = await relay.send(message({ to: 'hanako.@docomo.ne.jp' }));
  assert.equal(suppressed.status, 202, suppressed.text);
  assert.deepEqual(suppressed.body.recipients, [{ address: '"hanako."@docomo.ne.jp', status: 'suppressed' }]);
  const removed = await relay.request('DELETE', `/api/v1/suppressions/${encodeURIComponent('"Hanako."@docomo.ne.jp')}`, { key: ADMIN_KEY });
  assert.equal(removed.status, 204, removed.text);

  const refused = await relay.send(message({ to: 'taro.@example.net' }));
  assert.equal(refused.status, 400, refused.text);
  assert.match(refused.text, /accepted only for the old carrier addresses of docomo\.ne\.jp, ezweb\.ne\.jp, au\.com; elsewhere quote it/);
  const quoted = await relay.send(message({ to: '"taro."@example.net' }));
  assert.equal(quoted.status, 202, quoted.text);
});

test('a quoted local part a table key cannot hold is stored percent-encoded: sent and read back; suppressed and removed', FILE_TIMEOUT, async () => {
  const address = '"a/b#c?d"@example.net';
  const accepted = await relay.send(message({ to: address }));
  assert.equal(accepted.status, 202, accepted.text);
  assert.deepEqual(accepted.body.recipients, [{ address, status: 'queued' }]);
  // the row is read, claimed and updated under the encoded key through the real table client
  const done = await relay.waitForStatus(accepted.body.id, (v) => v.status === 'completed');
  assert.equal(done.recipients[0]?.status, 'sent');
  // a/b#c?d is an RFC 5322 dot-atom, which nodemailer writes without the quotes: the same mailbox
  assert.equal(relay.smartHost.countFor('a/b#c?d@example.net'), 1);
  const row = await relay.clients.deliveries.getEntity<{ address: string }>(accepted.body.id, '"a%2fb%23c%3fd"@example.net');
  assert.equal(row.address, address);

  // the endpoints take the address in the path, where no host lets an encoded "/" through: a quoted "#" and "?" it can carry
  const other = '"a#b?c"@example.net';
  const path = `/api/v1/suppressions/${encodeURIComponent(other)}`;
  assert.equal((await relay.request('PUT', path, { key: ADMIN_KEY, body: { reason: 'test' } })).status, 201);
  const listed = await relay.request<{ items: { address: string }[] }>('GET', '/api/v1/suppressions?domain=example.net', { key: ADMIN_KEY });
  assert.ok(
    listed.body.items.some((e) => e.address === other),
    `the list shows the address, not its key: ${listed.text}`,
  );
  const again = await relay.send(message({ to: other }));
  assert.equal(again.body.recipients[0]?.status, 'suppressed');
  assert.equal((await relay.request('DELETE', path, { key: ADMIN_KEY })).status, 204);
  assert.equal((await relay.request('GET', path, { key: ADMIN_KEY })).status, 404);
});

test('charset iso-2022-jp: docomo gets a 7-bit ISO-2022-JP message that decodes to the original; the others UTF-8', FILE_TIMEOUT, async () => {
  const subject = '【ご予約確認】東京タワー展望台・12月1日（火）15時のご案内';
  const text = '山田太郎様\r\n\r\nご予約ありがとうございます。\r\n当日は受付までお越しください。\r\n';
  const accepted = await relay.send(message({ to: ['yamada@docomo.ne.jp', 'yamada@example.net'], subject, text }));
  assert.equal(accepted.status, 202, accepted.text);
  const done = await relay.waitForStatus(accepted.body.id, (v) => v.status === 'completed');
  assert.deepEqual(
    done.recipients.map((r) => r.status),
    ['sent', 'sent'],
  );

  const [docomo] = received('yamada@docomo.ne.jp');
  assert.ok(docomo);
  const bytes = docomo.raw;
  assert.ok(
    bytes.every((b) => b < 0x80),
    'every byte is 7-bit',
  );
  assert.ok(bytes.includes('\u001b$B', 0, 'latin1') && bytes.includes('\u001b(B', 0, 'latin1'), 'JIS X 0208 in and out by escape sequences');
  const wire = bytes.toString('latin1');
  assert.match(wire, /^Content-Type: text\/plain; charset=ISO-2022-JP$/m);
  assert.match(wire, /^Content-Transfer-Encoding: 7bit$/m);
  assert.match(wire, /^Subject: =\?ISO-2022-JP\?B\?[A-Za-z0-9+/=]+\?=$/m);
  const parsed = await simpleParser(bytes);
  assert.equal(parsed.subject, subject);
  assert.equal(parsed.text, text.replace(/\r\n/g, '\n'));

  const [other] = received('yamada@example.net');
  assert.ok(other);
  assert.match(other.raw.toString('latin1'), /charset=utf-8/);
  assert.doesNotMatch(other.raw.toString('latin1'), /ISO-2022-JP/);
  assert.equal((await simpleParser(other.raw)).subject, subject);
  // one message, two charsets: the same Message-ID in both
  assert.equal(parsed.messageId, (await simpleParser(other.raw)).messageId);
});

test('the start-up line names the destination charset', FILE_TIMEOUT, () => {
  const line = relay.hostOutput.find((l) => l.includes('Delivery policy (RELAY_POLICY_JSON): ')) ?? '';
  assert.match(line, /jp-docomo 60\/min x1 240min iso-2022-jp, /);
});
