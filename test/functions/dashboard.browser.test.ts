// The dashboard in a real browser: Debian's chromium driven by playwright-core against the local host
// (Azurite, the development smart host, the real functions), after real messages were sent: one
// sent, one bounced (`bounce-`), one deferred (`grey-`) and one with a Japanese subject and a
// Japanese name in a tag. The page must load with no console error and no failed request, show them, and find them by
// id and by recipient; a screenshot is kept in test-results/. Without the operator key, no data. A
// browser in English (en-US, UTC) gets the English page; one in Japan (ja-JP, Asia/Tokyo,
// Accept-Language ja) gets the Japanese one with times in JST, and can switch it to English.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ADMIN_KEY, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { inTokyo, type PageTrouble, unexpected, watch } from '../support/pageTrouble';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 240_000 };

const CHROMIUM = process.env.RELAY_CHROMIUM ?? '/usr/bin/chromium';
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const RESULTS = path.join(repoRoot, 'test-results');
const JAPANESE_SUBJECT = '【重要】12月のご請求について';
const JAPANESE_NAME = '山田 花子';

interface Sent {
  id: string;
  to: string;
}

let relay: RelayHarness;
let browser: Browser;
const sent: Record<'delivered' | 'bounced' | 'deferred' | 'japanese', Sent> = {} as never;
const createdAt: Record<string, string> = {};

async function sendOne(overrides: Record<string, unknown>): Promise<Sent> {
  const answer = await relay.send(message(overrides));
  assert.equal(answer.status, 202, answer.text);
  return { id: answer.body.id, to: String(overrides.to) };
}

const dashboardUrl = () => `${relay.url}/api/dashboard?code=${encodeURIComponent(ADMIN_KEY)}`;

before(async () => {
  relay = await startRelayHarness();
  sent.delivered = await sendOne({ to: 'delivered@example.net', subject: 'Dashboard: delivered' });
  sent.bounced = await sendOne({ to: 'bounce-nobody@example.net', subject: 'Dashboard: bounced' });
  sent.deferred = await sendOne({ to: 'grey-later@example.org', subject: 'Dashboard: deferred' });
  sent.japanese = await sendOne({
    from: { address: 'app@example.jp', name: '請求センター' },
    to: { address: 'yamada@example.co.jp', name: JAPANESE_NAME },
    subject: JAPANESE_SUBJECT,
    text: 'ご請求のお知らせです。',
    // the rows keep addresses, not display names: a name an operator looks for travels in a tag
    tags: { campaign: 'december', customer: JAPANESE_NAME },
  });
  for (const [which, status] of [
    ['delivered', 'sent'],
    ['bounced', 'bounced'],
    ['deferred', 'deferred'],
    ['japanese', 'sent'],
  ] as const) {
    const view = await relay.waitForStatus(sent[which].id, (v) => v.recipients[0]?.status === status);
    createdAt[which] = view.createdAt;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--lang=ja-JP'] });
});

after(async () => {
  await browser?.close();
  await relay?.stop();
});

test('chromium and a Japanese font are installed, so the screenshot shows the text', FILE_TIMEOUT, () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (as .ci/run does)`);
  const fonts = spawnSync('fc-list', [':lang=ja', 'family'], { encoding: 'utf8' });
  assert.notEqual(fonts.stdout?.trim() ?? '', '', 'no font covers Japanese: apt-get install -y fonts-noto-cjk');
});

describe('without the operator key', FILE_TIMEOUT, () => {
  const attempts: [string, string, Record<string, string>][] = [
    ['no key', '', {}],
    ["the sender's key", '', { 'x-functions-key': FUNCTION_KEY }],
    ["the sender's key in ?code=", `?code=${FUNCTION_KEY}`, {}],
    ['a wrong key in ?code=', '?code=wrong', {}],
  ];
  for (const [label, query, headers] of attempts) {
    test(`${label}: the page and its data answer 401 with no body`, async () => {
      for (const pathname of ['/api/dashboard', '/api/v1/stats']) {
        const response = await fetch(`${relay.url}${pathname}${query}`, { headers });
        assert.equal(response.status, 401, `${pathname} with ${label}`);
        assert.equal(await response.text(), '', `${pathname} with ${label}: no data`);
      }
    });
  }

  test("the browser, given the sender's key, gets 401 and no dashboard, which would ask for data", async () => {
    const page = await browser.newPage();
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    try {
      const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/dashboard');
      // Chromium ends a navigation to an empty error answer with ERR_HTTP_RESPONSE_CODE_FAILURE
      await page.goto(`${relay.url}/api/dashboard?code=${FUNCTION_KEY}`).catch((err: Error) => assert.match(err.message, /ERR_HTTP_RESPONSE_CODE_FAILURE/));
      assert.equal((await answer).status(), 401);
      assert.equal(await page.locator('#generated').count(), 0, 'no dashboard was rendered');
      assert.deepEqual(asked, ['/api/dashboard']);
    } finally {
      await page.close();
    }
  });
});

describe('with the operator key', FILE_TIMEOUT, () => {
  let page: Page;
  let trouble: PageTrouble;

  before(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, locale: 'en-US', timezoneId: 'UTC' });
    trouble = watch(page);
    const response = await page.goto(dashboardUrl());
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'sha256-/);
    await page.locator('#problems table').waitFor();
  });

  after(async () => {
    await page?.close();
  });

  test('an English browser gets the page in English, times in UTC', async () => {
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match((await page.textContent('#zone')) ?? '', /times in UTC/);
    assert.match((await page.textContent('#chart-heading')) ?? '', /Outcomes per hour, last 24 hours \(UTC\)/);
    assert.match((await page.textContent('#generated')) ?? '', /^as of \d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d UTC, read \d+ events from \d+ hours$/);
  });

  test('shows the outcomes: the chart, the totals, the domains and the categories', async () => {
    assert.equal(await page.locator('#chart canvas').count(), 1, 'uPlot drew the chart');
    const totals = await page.textContent('#totals');
    assert.match(totals ?? '', /sent/);
    assert.match(totals ?? '', /bounced/);
    assert.match(totals ?? '', /deferred/);
    const domains = (await page.textContent('#domains')) ?? '';
    for (const domain of ['example.net', 'example.org', 'example.co.jp']) assert.ok(domains.includes(domain), `${domain} in ${domains}`);
    assert.match((await page.textContent('#destinations')) ?? '', /other/, 'no policy destinations: everything is "other"');
    assert.match((await page.textContent('#categories')) ?? '', /invalid-recipient/);
  });

  test('lists the bounce with its SMTP reply, and shows the empty states', async () => {
    const problems = (await page.textContent('#problems')) ?? '';
    assert.ok(problems.includes('bounce-nobody@example.net'), problems);
    assert.match(problems, /550 5\.1\.1/);
    const controls = (await page.textContent('#controls')) ?? '';
    assert.match(controls, /Nothing is held back by a delivery policy\./);
    assert.match(controls, /No destination or smart host is suspended\./);
    assert.equal((await page.textContent('#poison-count strong'))?.trim(), '0');
  });

  test('a search by id opens the message with its recipients and SMTP replies', async () => {
    await page.selectOption('#search-kind', 'id');
    await page.fill('#search-text', sent.bounced.id);
    await page.click('#search button[type=submit]');
    const view = page.locator(`#message-view[data-message-id="${sent.bounced.id}"]`);
    await view.waitFor();
    const text = (await view.textContent()) ?? '';
    assert.ok(text.includes('bounce-nobody@example.net'), text);
    assert.match(text, /bounced/);
    assert.match(text, /550 5\.1\.1 Recipient address rejected: User unknown/);
  });

  test('the Japanese subject and a Japanese name display as sent', async () => {
    await page.selectOption('#search-kind', 'id');
    await page.fill('#search-text', sent.japanese.id);
    await page.click('#search button[type=submit]');
    const view = page.locator(`#message-view[data-message-id="${sent.japanese.id}"]`);
    await view.waitFor();
    assert.equal(await view.locator('.subject').textContent(), JAPANESE_SUBJECT);
    assert.equal(await view.locator('.from').textContent(), 'app@example.jp');
    assert.ok(((await view.locator('.tags').textContent()) ?? '').includes(`customer=${JAPANESE_NAME}`));
    assert.match((await page.textContent('#domains')) ?? '', /example\.co\.jp/);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'dashboard.png'), fullPage: true });
  });

  for (const [kind, text, which, reply] of [
    ['recipient', () => sent.deferred.to, 'deferred', /451 4\.7\.1 Greylisted/],
    ['tag', () => 'campaign=december', 'japanese', /250 2\.0\.0/],
  ] as const) {
    test(`a search by ${kind} finds the message and opens its recipients with their replies`, async () => {
      await page.selectOption('#search-kind', kind);
      await page.fill('#search-text', text());
      await page.click('#search button[type=submit]');
      const result = page.locator(`#search-results button[data-message-id="${sent[which].id}"]`);
      await result.waitFor();
      await result.click();
      const view = page.locator(`#message-view[data-message-id="${sent[which].id}"]`);
      await view.waitFor();
      assert.match((await view.textContent()) ?? '', reply);
    });
  }

  test('nothing failed in the page: no console error, no failed or refused request', () => {
    assert.deepEqual(unexpected(trouble), []);
  });

  test('the operator key reaches no log line of the host', async () => {
    assert.ok(!(await relay.loggedSoFar()).includes(ADMIN_KEY));
  });
});

describe('in Japanese, in Tokyo', FILE_TIMEOUT, () => {
  let page: Page;
  let trouble: PageTrouble;
  before(async () => {
    page = await browser.newPage({
      viewport: { width: 1280, height: 1400 },
      locale: 'ja-JP',
      timezoneId: 'Asia/Tokyo',
      extraHTTPHeaders: { 'Accept-Language': 'ja' },
    });
    trouble = watch(page);
    const response = await page.goto(dashboardUrl());
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['content-language'], 'ja');
    await page.locator('#problems table').waitFor();
  });

  after(async () => {
    await page?.close();
  });

  test('the relay serves the page in Japanese: lang, the labels, the statuses', async () => {
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.equal(await page.title(), 'SMTP リレー: ダッシュボード');
    assert.equal(await page.textContent('section:has(#problems) h2'), '最近のバウンスと配信失敗');
    assert.equal(await page.textContent('#search button[type=submit]'), '検索');
    const controls = (await page.textContent('#controls')) ?? '';
    assert.match(controls, /配信ポリシーで保留されている宛先はありません。/);
    assert.match(controls, /一時停止中の配信先・スマートホストはありません。/);
    const problems = (await page.textContent('#problems')) ?? '';
    assert.match(problems, /バウンス/);
    assert.ok(problems.includes('bounce-nobody@example.net'), problems);
    assert.match((await page.textContent('#totals')) ?? '', /送信完了/);
    // categories stay the API's names, with their meaning in Japanese beside them and as the tooltip
    assert.match((await page.textContent('#categories')) ?? '', /invalid-recipient\s*宛先のアドレスが存在しない/);
    assert.equal(await page.getAttribute('#problems [data-category="invalid-recipient"]', 'title'), '宛先のアドレスが存在しない（配信停止リストに登録）');
  });

  test('times are in Japan Standard Time, and the zone is named', async () => {
    assert.equal(await page.textContent('#zone'), '時刻は Asia/Tokyo (JST) で表示');
    assert.match((await page.textContent('#chart-heading')) ?? '', /直近 24 時間、Asia\/Tokyo/);
    assert.match((await page.textContent('#generated')) ?? '', /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d JST 時点/);
  });

  test('the Japanese message: its subject, and when it was accepted in JST', async () => {
    await page.selectOption('#search-kind', 'tag');
    await page.fill('#search-text', `customer=${JAPANESE_NAME}`);
    await page.click('#search button[type=submit]');
    const result = page.locator(`#search-results button[data-message-id="${sent.japanese.id}"]`);
    await result.waitFor();
    const row = (await page.textContent('#search-results tbody')) ?? '';
    assert.ok(row.includes(JAPANESE_SUBJECT), row);
    assert.ok(row.includes(inTokyo(createdAt.japanese ?? '')), `${row} shows the time in JST`);
    await result.click();
    const view = page.locator(`#message-view[data-message-id="${sent.japanese.id}"]`);
    await view.waitFor();
    assert.equal(await view.locator('.subject').textContent(), JAPANESE_SUBJECT);
    const text = (await view.textContent()) ?? '';
    const accepted = inTokyo(createdAt.japanese ?? '');
    assert.match(accepted, / JST$/);
    assert.ok(text.includes(`受付 ${accepted}`), `${text} names ${accepted}`);
    assert.match(text, /送信完了/);
    assert.match(text, /250 2\.0\.0/);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'dashboard.ja.png'), fullPage: true });
  });

  test('the switch shows it in English and remembers the choice; ?lang= brings Japanese back', async () => {
    await Promise.all([page.waitForURL(/[?&]lang=en\b/), page.selectOption('#language', 'en')]);
    await page.locator('#problems table').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(new URL(page.url()).searchParams.get('code'), ADMIN_KEY, 'the operator key stays in the address');
    assert.match((await page.textContent('#controls')) ?? '', /Nothing is held back by a delivery policy\./);
    assert.match((await page.textContent('#zone')) ?? '', /Asia\/Tokyo/, 'still in Tokyo time');
    // opened again without ?lang=, from a browser that still asks for Japanese: the remembered choice
    const again = await page.goto(dashboardUrl());
    assert.equal(again?.headers()['content-language'], 'en');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.locator('#problems table').waitFor();
    await page.goto(`${dashboardUrl()}&lang=ja`);
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    await page.locator('#problems table').waitFor();
    assert.match((await page.textContent('#controls')) ?? '', /配信ポリシーで保留されている宛先はありません。/);
  });

  test('nothing failed in the page: no console error, no failed or refused request', () => {
    assert.deepEqual(unexpected(trouble), []);
  });
});
