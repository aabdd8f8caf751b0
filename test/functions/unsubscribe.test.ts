// One-click unsubscribe through the real functions, Azurite and the development smart host: the links
// each recipient received, a GET that changes nothing, a POST that suppresses the address for the
// sender domain once, and bad links, bodies and outages that change nothing and get no 5xx but 503.
import { odata } from '@azure/data-tables';
import { MARKS_PARTITION } from '../../src/storage/suppressionChanges';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { localDefaults } from '../../src/local/settings';
import { message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const ONE_CLICK = { 'content-type': 'application/x-www-form-urlencoded' };

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness();
});
after(async () => {
  await relay?.stop();
});

interface Entry {
  partitionKey: string;
  rowKey: string;
  source: string;
  reason: string;
  messageId?: string;
  category?: string;
  createdAt: Date;
  expiresAt?: Date;
}

/** The table's entries; its change marks (src/storage/suppressionChanges.ts) are no entries. */
async function suppressions(): Promise<Entry[]> {
  const entries: Entry[] = [];
  const filter = odata`PartitionKey ne ${MARKS_PARTITION}`;
  for await (const e of relay.clients.suppressions.listEntities<Entry>({ queryOptions: { filter } })) entries.push(e);
  return entries;
}

/** Sends with "unsubscribe": true and returns each recipient's List-Unsubscribe URL as the smart host got it. */
async function sendWithLinks(to: string[], overrides: Record<string, unknown> = {}): Promise<{ id: string; links: Map<string, string> }> {
  const answer = await relay.send(message({ to, unsubscribe: true, ...overrides }));
  assert.equal(answer.status, 202, answer.text);
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const links = new Map<string, string>();
  for (const address of to) {
    const received = relay.smartHost.messages.filter((m) => m.to.includes(address) && m.raw.includes(answer.body.id));
    assert.equal(received.length, 1, `${address} got one copy`);
    const raw = received[0].raw.toString('utf8');
    const [head] = raw.split('\r\n\r\n');
    assert.equal(head.match(/^List-Unsubscribe:/gm)?.length, 1, raw);
    assert.match(head, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    const link = /^List-Unsubscribe: <([^>]+)>\r$/m.exec(head);
    assert.ok(link, head);
    links.set(address, link[1]);
  }
  return { id: answer.body.id, links };
}

/** The link's path under the host (the links point at the host's own address). */
function pathOf(link: string): string {
  return new URL(link).pathname;
}

function alter(link: string): string {
  const path = pathOf(link);
  const last = path.at(-1) === 'A' ? 'B' : 'A';
  return path.slice(0, -1) + last;
}

describe('links, pages and the one-click post', FILE_TIMEOUT, () => {
  let id: string;
  let links: Map<string, string>;

  before(async () => {
    ({ id, links } = await sendWithLinks(['ichiro@example.net', 'jiro@example.net']));
  });

  test('each deliveries row keeps that the send asked for unsubscribe headers', async () => {
    const rows: { rowKey: string; unsubscribe?: boolean }[] = [];
    for await (const e of relay.clients.deliveries.listEntities<{ unsubscribe?: boolean }>({ queryOptions: { filter: `PartitionKey eq '${id}'` } }))
      rows.push(e as { rowKey: string; unsubscribe?: boolean });
    assert.deepEqual(
      rows.map((r) => [r.rowKey, r.unsubscribe]),
      [
        ['ichiro@example.net', true],
        ['jiro@example.net', true],
      ],
    );
  });

  test('each recipient has its own link, on the address the local host listens on', () => {
    const [a, b] = [links.get('ichiro@example.net')!, links.get('jiro@example.net')!];
    assert.notEqual(a, b);
    for (const link of [a, b]) assert.ok(link.startsWith(`${relay.url}/api/v1/unsubscribe/`), link);
  });

  test('GET shows the address and the sender with a form posting to itself, needs no key, and changes nothing', async () => {
    const page = await relay.request('GET', pathOf(links.get('ichiro@example.net')!), { key: null });
    assert.equal(page.status, 200, page.text);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(page.text, /<html lang="en">/);
    assert.match(page.text, /<meta charset="utf-8">/);
    assert.match(page.text, /ichiro@example\.net/);
    assert.match(page.text, /example\.jp/);
    assert.match(page.text, /<form method="post">\s*<input type="hidden" name="List-Unsubscribe" value="One-Click">/);
    assert.doesNotMatch(page.text, /(src|href)=/, 'no external resource');
    assert.deepEqual(await suppressions(), []);
  });

  test('POST List-Unsubscribe=One-Click suppresses the address for the sender domain only', async () => {
    const answer = await relay.request('POST', pathOf(links.get('ichiro@example.net')!), { key: null, headers: ONE_CLICK, body: 'List-Unsubscribe=One-Click' });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.text, /Unsubscribed/);
    const entries = await suppressions();
    assert.deepEqual(
      entries.map((e) => [e.partitionKey, e.rowKey, e.source, e.messageId, e.category, e.expiresAt]),
      [['ichiro@example.net', 'example.jp', 'unsubscribe', id, undefined, undefined]],
    );
  });

  test('a second POST answers 200 again and keeps the first entry', async () => {
    const first = await suppressions();
    const answer = await relay.request('POST', pathOf(links.get('ichiro@example.net')!), { key: null, headers: ONE_CLICK, body: 'List-Unsubscribe=One-Click' });
    assert.equal(answer.status, 200, answer.text);
    const afterwards = await suppressions();
    assert.deepEqual(
      afterwards.map((e) => [e.partitionKey, e.rowKey, e.createdAt.toISOString()]),
      first.map((e) => [e.partitionKey, e.rowKey, e.createdAt.toISOString()]),
    );
  });

  test("an empty body is taken too (the page's form and mail clients differ)", async () => {
    const answer = await relay.request('POST', pathOf(links.get('jiro@example.net')!), { key: null });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual((await suppressions()).map((e) => e.partitionKey).sort(), ['ichiro@example.net', 'jiro@example.net']);
  });
});

describe('bad links and bodies: 4xx, never 5xx, nothing written', FILE_TIMEOUT, () => {
  let link: string;
  let stored: string;

  before(async () => {
    const sent = await sendWithLinks(['saburo@example.net']);
    link = sent.links.get('saburo@example.net')!;
    stored = JSON.stringify(await suppressions());
  });

  test('altered, cut, extended, garbled or forged tokens: 404 for GET and POST', async () => {
    const base = '/api/v1/unsubscribe/';
    const token = pathOf(link).slice(base.length);
    const bad = [
      alter(link).slice(base.length),
      token.slice(0, -5),
      `${token}AAAA`,
      token.replace('.', ''),
      `${token.split('.')[1]}.${token.split('.')[0]}`,
      'x',
      '.',
      '%00',
      encodeURIComponent('<script>alert(1)</script>'),
      'A'.repeat(2000),
    ];
    for (const t of bad) {
      for (const method of ['GET', 'POST']) {
        const answer = await relay.request(method, base + t, {
          key: null,
          headers: ONE_CLICK,
          body: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined,
        });
        assert.ok(answer.status >= 400 && answer.status < 500, `${method} ${t}: ${answer.status}`);
        assert.doesNotMatch(answer.text, /<script>/, 'nothing is echoed unescaped');
      }
    }
    assert.equal(JSON.stringify(await suppressions()), stored);
  });

  test('a caller that asks for JSON gets problem+json', async () => {
    const answer = await relay.request('POST', alter(link), { key: null, headers: { accept: 'application/json' } });
    assert.equal(answer.status, 404);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
    assert.equal(answer.body.type, 'urn:azure-smtp-relay:problem:not-found');
    assert.equal(JSON.stringify(await suppressions()), stored);
  });

  test('a body over 4096 bytes: 413 and no entry', async () => {
    const answer = await relay.request('POST', pathOf(link), { key: null, headers: ONE_CLICK, body: `List-Unsubscribe=One-Click&${'x'.repeat(5000)}` });
    assert.equal(answer.status, 413, answer.text);
    assert.equal(JSON.stringify(await suppressions()), stored);
  });

  test('other methods are not routed', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) assert.equal((await relay.request(method, pathOf(link), { key: null })).status, 404, method);
    assert.equal(JSON.stringify(await suppressions()), stored);
  });

  test('the send request: a wrong type, or relay-owned headers with "unsubscribe": true, get 400 naming the field', async () => {
    const wrongType = await relay.send(message({ unsubscribe: 'yes' }));
    assert.equal(wrongType.status, 400);
    assert.deepEqual(wrongType.body.errors, [{ field: 'unsubscribe', message: 'must be true or false' }]);
    const owned = await relay.send(message({ unsubscribe: true, headers: { 'List-Unsubscribe': '<https://app.example.jp/u>' } }));
    assert.equal(owned.status, 400);
    assert.deepEqual(
      owned.body.errors.map((e) => e.field),
      ['headers.List-Unsubscribe'],
    );
  });
});

describe('settings, then storage down', FILE_TIMEOUT, () => {
  test('an explicit RELAY_PUBLIC_URL is what the links use', async () => {
    await relay.restartHostWith({ RELAY_PUBLIC_URL: 'https://relay.example.jp/' });
    const { links } = await sendWithLinks(['goro@example.net']);
    assert.match(links.get('goro@example.net')!, /^https:\/\/relay\.example\.jp\/api\/v1\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  test('without RELAY_UNSUBSCRIBE_SECRET a send asking for links is refused naming it; links answer 404', async () => {
    const { links } = await sendWithLinks(['rokuro@example.net']);
    await relay.restartHostWith({ RELAY_UNSUBSCRIBE_SECRET: '' });
    const answer = await relay.send(message({ unsubscribe: true }));
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.body.errors[0]?.message ?? '', /RELAY_UNSUBSCRIBE_SECRET is not set/);
    assert.equal((await relay.send(message())).status, 202, 'a send without "unsubscribe" still works');
    assert.equal((await relay.request('POST', pathOf(links.get('rokuro@example.net')!), { key: null })).status, 404);
    await relay.restartHostWith({ RELAY_UNSUBSCRIBE_SECRET: localDefaults().RELAY_UNSUBSCRIBE_SECRET });
  });

  test('storage down: POST answers 503 with Retry-After; GET still shows the page', async () => {
    const { links } = await sendWithLinks(['shiro@example.net']);
    const link = pathOf(links.get('shiro@example.net')!);
    // the last test of the file: storage stays down
    await relay.killAzurite();
    const answer = await relay.request('POST', link, { key: null, headers: ONE_CLICK, body: 'List-Unsubscribe=One-Click' });
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.headers.get('retry-after'), '30');
    assert.equal((await relay.request('GET', link, { key: null })).status, 200);
  });
});
