// The SendGrid v3 Mail Send body as the relay's own send requests: a table of bodies and the requests
// they become, then a table of the fields the relay refuses with the field each error names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SEND_AT_SECONDS, mapSendGridMail, type SendGridMail } from '../../src/core/sendGridMail';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const NOW = new Date('2026-12-01T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const LIMITS = { maxRecipients: 100 };
const BASE = {
  personalizations: [{ to: [{ email: 'user@example.net' }] }],
  from: { email: 'app@example.com', name: 'アプリ' },
  subject: 'Hello',
  content: [{ type: 'text/plain', value: 'Hello there.' }],
};

function mapped(body: unknown): SendGridMail {
  const result = mapSendGridMail(body, LIMITS, NOW);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.value;
}

/** What the relay request holds that a SendGrid field set, per message. */
function summary(mail: SendGridMail) {
  return mail.messages.map(({ request: r, notBefore }) => ({
    from: `${r.from.name ?? ''} <${r.from.address}>`,
    to: r.to.map((m) => m.address),
    cc: r.cc.map((m) => m.address),
    bcc: r.bcc.map((m) => m.address),
    replyTo: r.replyTo.map((m) => m.address),
    subject: r.subject,
    text: r.text,
    html: r.html,
    headers: r.headers,
    tags: r.tags,
    attachments: r.attachments.map((a) => ({ ...a, content: a.content.toString('utf8') })),
    notBefore: notBefore?.toISOString(),
  }));
}

interface Summary {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
  tags: Record<string, string>;
  attachments: Record<string, string>[];
  notBefore?: string;
}

const one: Summary = {
  from: 'アプリ <app@example.com>',
  to: ['user@example.net'],
  cc: [],
  bcc: [],
  replyTo: [],
  subject: 'Hello',
  text: 'Hello there.',
  html: undefined,
  headers: {},
  tags: {},
  attachments: [],
  notBefore: undefined,
};

const CASES: [string, Record<string, unknown>, Partial<Summary>[]][] = [
  ['the smallest body', BASE, [{}]],
  [
    'two personalizations: each its own recipients, subject, headers and custom args over the top ones',
    {
      ...BASE,
      headers: { 'X-Top': 'top', 'X-Both': 'top' },
      custom_args: { campaign: 'winter', shared: 'top' },
      personalizations: [
        {
          to: [{ email: 'a@example.net', name: 'A' }],
          cc: [{ email: 'c@example.net' }],
          subject: '件名 A',
          headers: { 'x-both': 'a' },
          custom_args: { shared: 'a' },
        },
        { to: [{ email: 'b@example.net' }], bcc: [{ email: 'd@example.net' }] },
      ],
    },
    [
      {
        to: ['a@example.net'],
        cc: ['c@example.net'],
        subject: '件名 A',
        headers: { 'X-Top': 'top', 'x-both': 'a' },
        tags: { campaign: 'winter', shared: 'a' },
      },
      { to: ['b@example.net'], bcc: ['d@example.net'], headers: { 'X-Top': 'top', 'X-Both': 'top' }, tags: { campaign: 'winter', shared: 'top' } },
    ],
  ],
  [
    'text and html, reply_to, categories as one tag',
    { ...BASE, content: [...BASE.content, { type: 'text/html', value: '<p>Hi</p>' }], reply_to: { email: 'help@example.com' }, categories: ['news', 'jp'] },
    [{ html: '<p>Hi</p>', replyTo: ['help@example.com'], tags: { categories: 'news,jp' } }],
  ],
  ['reply_to_list', { ...BASE, reply_to_list: [{ email: 'a@example.com' }, { email: 'b@example.com' }] }, [{ replyTo: ['a@example.com', 'b@example.com'] }]],
  [
    'a personalization’s own from',
    { ...BASE, personalizations: [{ to: [{ email: 'user@example.net' }], from: { email: 'other@example.com' } }] },
    [{ from: ' <other@example.com>' }],
  ],
  [
    'attachments: an attachment keeps no content id, an inline one does',
    {
      ...BASE,
      attachments: [
        { content: Buffer.from('report').toString('base64'), filename: 'report.txt', type: 'text/plain', content_id: 'ignored' },
        { content: Buffer.from('logo').toString('base64'), filename: 'logo.png', type: 'image/png', disposition: 'inline', content_id: 'logo' },
      ],
    },
    [
      {
        attachments: [
          { filename: 'report.txt', content: 'report', contentType: 'text/plain' },
          { filename: 'logo.png', content: 'logo', contentType: 'image/png', contentId: 'logo' },
        ],
      },
    ],
  ],
  [
    'send_at: the top one, a personalization’s own, and one in the past (sent now)',
    {
      ...BASE,
      send_at: NOW_S + 3600,
      personalizations: [
        { to: [{ email: 'a@example.net' }] },
        { to: [{ email: 'b@example.net' }], send_at: NOW_S + 60 },
        { to: [{ email: 'c@example.net' }], send_at: NOW_S - 60 },
      ],
    },
    [
      { to: ['a@example.net'], notBefore: '2026-12-01T13:00:00.000Z' },
      { to: ['b@example.net'], notBefore: '2026-12-01T12:01:00.000Z' },
      { to: ['c@example.net'] },
    ],
  ],
  [
    'tracking and mail settings turned off are no change',
    { ...BASE, tracking_settings: { click_tracking: { enable: false } }, mail_settings: { footer: { enable: false } } },
    [{}],
  ],
];

for (const [name, body, expected] of CASES) {
  test(`maps ${name}`, FILE_TIMEOUT, () => {
    const mail = mapped(body);
    assert.equal(mail.sandbox, false);
    assert.deepEqual(
      summary(mail),
      expected.map((e) => ({ ...one, ...e })),
    );
  });
}

test('sandbox mode is validate-only', FILE_TIMEOUT, () => {
  assert.equal(mapped({ ...BASE, mail_settings: { sandbox_mode: { enable: true } } }).sandbox, true);
  assert.equal(mapped({ ...BASE, mail_settings: { sandbox_mode: { enable: false } } }).sandbox, false);
});

const REFUSED: [string, Record<string, unknown>, string, RegExp][] = [
  ['a template', { ...BASE, template_id: 'd-123' }, 'template_id', /templates are not supported/],
  [
    'dynamic template data',
    { ...BASE, personalizations: [{ ...BASE.personalizations[0], dynamic_template_data: { a: 1 } }] },
    'personalizations.0.dynamic_template_data',
    /templates/,
  ],
  [
    'substitutions',
    { ...BASE, personalizations: [{ ...BASE.personalizations[0], substitutions: { '-a-': 'b' } }] },
    'personalizations.0.substitutions',
    /substitutions/,
  ],
  ['an unsubscribe group', { ...BASE, asm: { group_id: 1 } }, 'asm', /ASM/],
  ['a batch', { ...BASE, batch_id: 'b' }, 'batch_id', /batches/],
  ['an IP pool', { ...BASE, ip_pool_name: 'p' }, 'ip_pool_name', /IP pools/],
  ['click tracking', { ...BASE, tracking_settings: { click_tracking: { enable: true } } }, 'tracking_settings.click_tracking.enable', /no tracking/],
  ['a footer', { ...BASE, mail_settings: { footer: { enable: true, text: 'f' } } }, 'mail_settings.footer.enable', /footer is not supported/],
  ['an unknown field', { ...BASE, colour: 'red' }, 'colour', /not a field/],
  ['no personalizations', { ...BASE, personalizations: [] }, 'personalizations', /at least one/],
  ['a personalization without to', { ...BASE, personalizations: [{ cc: [{ email: 'c@example.net' }] }] }, 'personalizations.0.to', /at least one recipient/],
  ['a bad recipient', { ...BASE, personalizations: [{ to: [{ email: 'a@example.net' }, { email: 'not an address' }] }] }, 'personalizations.0.to.1.email', /./],
  ['a recipient as a string', { ...BASE, personalizations: [{ to: ['a@example.net'] }] }, 'personalizations.0.to.0.email', /email object/],
  ['no from', { ...BASE, from: undefined }, 'from.email', /required/],
  ['no subject', { ...BASE, subject: undefined }, 'subject', /required/],
  ['no content', { ...BASE, content: [] }, 'content', /at least one content/],
  [
    'html before text',
    {
      ...BASE,
      content: [
        { type: 'text/html', value: '<p>x</p>' },
        { type: 'text/plain', value: 'x' },
      ],
    },
    'content.1.type',
    /text\/plain must come first/,
  ],
  ['another content type', { ...BASE, content: [{ type: 'text/calendar', value: 'BEGIN' }] }, 'content.0.type', /only text\/plain and text\/html/],
  ['empty content', { ...BASE, content: [{ type: 'text/plain', value: '' }] }, 'content.0.value', /at least one character/],
  [
    'an inline attachment without content_id',
    { ...BASE, attachments: [{ content: 'eA==', filename: 'x.png', disposition: 'inline' }] },
    'attachments.0.content_id',
    /required for an inline/,
  ],
  ['attachment content not base64', { ...BASE, attachments: [{ content: '%%%', filename: 'x.txt' }] }, 'attachments.0.content', /base64/],
  ['a bad attachment type', { ...BASE, attachments: [{ content: 'eA==', filename: 'x.txt', type: 'not a type' }] }, 'attachments.0.type', /MIME type/],
  ['a header the relay owns', { ...BASE, headers: { 'Message-ID': '<x@y>' } }, 'headers.Message-ID', /set by the relay/],
  ['a custom arg no tag can hold', { ...BASE, custom_args: { 'user-id': '1' } }, 'custom_args.user-id', /tag name/],
  [
    'a custom arg not a string',
    { ...BASE, personalizations: [{ ...BASE.personalizations[0], custom_args: { n: 1 } }] },
    'personalizations.0.custom_args.n',
    /string/,
  ],
  ['a category with a comma', { ...BASE, categories: ['a,b'] }, 'categories', /","/],
  ['eleven categories', { ...BASE, categories: Array.from({ length: 11 }, (_, i) => `c${i}`) }, 'categories', /at most 10/],
  ['a custom arg named categories beside categories', { ...BASE, categories: ['a'], custom_args: { categories: 'x' } }, 'custom_args.categories', /rename/],
  ['send_at beyond 7 days', { ...BASE, send_at: NOW_S + MAX_SEND_AT_SECONDS + 1 }, 'send_at', /7 days/],
  [
    'send_at not a number',
    { ...BASE, personalizations: [{ ...BASE.personalizations[0], send_at: '2026-12-02' }] },
    'personalizations.0.send_at',
    /UNIX timestamp/,
  ],
  ['reply_to and reply_to_list', { ...BASE, reply_to: { email: 'a@example.com' }, reply_to_list: [{ email: 'b@example.com' }] }, 'reply_to_list', /not both/],
  [
    'too many recipients in one message',
    { ...BASE, personalizations: [{ to: Array.from({ length: 101 }, (_, i) => ({ email: `u${i}@example.net` })) }] },
    'personalizations.0.to',
    /at most 100/,
  ],
  [
    'over 1000 recipients in all',
    { ...BASE, personalizations: Array.from({ length: 11 }, (_, n) => ({ to: Array.from({ length: 100 }, (_, i) => ({ email: `u${n}-${i}@example.net` })) })) },
    'personalizations',
    /at most 1000/,
  ],
];

for (const [name, body, field, message] of REFUSED) {
  test(`refuses ${name}, naming ${field}`, FILE_TIMEOUT, () => {
    const result = mapSendGridMail(body, LIMITS, NOW);
    assert.ok(!result.ok, 'refused');
    const named = result.errors.find((e) => e.field === field);
    assert.ok(named, `names ${field}: ${JSON.stringify(result.errors)}`);
    assert.match(named.message, message);
  });
}

test('a body that is no object', FILE_TIMEOUT, () => {
  for (const body of [null, [], 'x', 1])
    assert.deepEqual(mapSendGridMail(body, LIMITS, NOW), { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] });
});
