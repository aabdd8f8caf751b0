// The bounce rules as Markdown: the categories an operator sees and the rule table, generated from
// src/core/bounceRules.json. docs/bounce-rules.md (and the README) hold them between the markers
// below; `node dist/test/support/bounceRulesDoc.js [file ...]` rewrites what is between them, and
// test/bounceRulesDoc.test.ts fails when a page is stale. No relative links: the same text sits in
// pages at different depths.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BOUNCE_RULES, type BounceRule } from '../../src/core/bounceRules';
import { CATEGORIES, type Category } from '../../src/core/categories';
import { SUPPRESSING_CATEGORIES } from '../../src/core/suppression';

export const START_MARKER = '<!-- bounce-rules:start -->';
export const END_MARKER = '<!-- bounce-rules:end -->';

const GUIDE: Record<Category, { meaning: string; action: string }> = {
  'invalid-recipient': {
    meaning: 'The address does not exist: 5.1.1, 5.1.10, "user unknown", docomo `550 Unknown user`, au/KDDI `User unknown`.',
    action: "Nothing to retry. Correct or remove the address where it came from; it counts towards the sender domain's bounce rate.",
  },
  'mailbox-full': {
    meaning: 'The mailbox is over quota: deferred on 4.2.2, bounced on 5.2.2.',
    action: 'Nothing; a later message may get through once the recipient makes room.',
  },
  policy: {
    meaning:
      "Refused for the sender, the content or the sender's setup (SPF, DKIM, DMARC, PTR, content filters, a carrier's reception filter), not for the address.",
    action: "Check the sender domain's SPF, DKIM and DMARC and the content. A docomo or au filter is the recipient's own setting.",
  },
  reputation: {
    meaning: "Refused for the sending IP's or domain's reputation: a blocklist, a provider's block (Microsoft S3150, 5.7.606, Yahoo TSS04).",
    action: "Look the smart host's IP up on the blocklists the reply names, request delisting, slow down, clean the lists.",
  },
  'rate-limit': {
    meaning: 'The receiver wants fewer messages or recipients per session or per hour (Gmail 4.7.28, "too many recipients", docomo `554 Transaction failed`).',
    action: 'Retries are automatic. If it persists, send to that destination more slowly.',
  },
  'message-too-large': {
    meaning: "The message is over the receiver's size limit (5.2.3, 5.3.4; au/KDDI takes at most 3 MB).",
    action: 'Send smaller messages: shrink or link the attachments.',
  },
  auth: {
    meaning: "The smart host refused the relay's own login or its right to relay (EAUTH, 535, 530, `Relay access denied`).",
    action: "Fix the `SMARTHOST_*` credentials or the smart host's permissions; the deferred messages go out on their retries.",
  },
  tls: {
    meaning: "STARTTLS or the smart host's certificate failed (ETLS, `Must issue a STARTTLS command first`).",
    action: "Fix the smart host's certificate or the CA the relay trusts; deferred messages go out on their retries.",
  },
  connection: {
    meaning: 'The smart host, or the network after it, could not be reached or dropped the connection.',
    action: 'Check that the smart host is up and reachable; retries are automatic.',
  },
  timeout: {
    meaning: 'No answer in time, or an upstream gave up retrying (ETIMEDOUT, 4.4.1, x.4.7).',
    action: "Check the smart host's load and `SMARTHOST_CONNECT_TIMEOUT_SECONDS` / `SMARTHOST_SOCKET_TIMEOUT_SECONDS`.",
  },
  complaint: {
    meaning: 'The recipient reported the message as spam (a feedback loop, SendGrid `spamreport`).',
    action: 'Stop mailing them (the relay does); find out why the mail was unwanted. It counts towards the complaint rate.',
  },
  expired: {
    meaning:
      "Its lifetime ended before it could be sent: RELAY_MAX_RETRY_SECONDS, or its destination's shorter `lifetime` (carrier mail is kept 2–4 hours), ran out while it was deferred or held by a delivery policy.",
    action: "Nothing was sent. If it happens often, raise the destination's rate or lifetime, or send earlier in its hours.",
  },
  other: {
    meaning: "Nothing more specific is known; the row's `response` has the reply.",
    action: 'Read the response. If one keeps coming, add a row for it to `src/core/bounceRules.json`.',
  },
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function categoriesTable(): string {
  const rows = CATEGORIES.map((c) => {
    const source = SUPPRESSING_CATEGORIES[c];
    const suppresses = source ? `yes (source \`${source}\`, every sender)` : 'no';
    return `| \`${c}\` | ${cell(GUIDE[c].meaning)} | ${suppresses} | ${cell(GUIDE[c].action)} |`;
  });
  return ['| category | meaning | suppresses the address? | what an operator does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function matchCell(rule: BounceRule): string {
  const { row } = rule;
  switch (rule.kind) {
    case 'errorCode':
      return `error \`${row.errorCode}\``;
    case 'enhanced':
    case 'enhancedClass':
      return `enhanced \`${row.enhanced}\``;
    case 'text':
      return `text \`${cell(row.text ?? '')}\``;
    case 'basic':
      return `basic \`${row.basic}\``;
    case 'event':
      return `event \`${row.event}\``;
  }
}

function categoryCell(rule: BounceRule): string {
  if (rule.category) return `\`${rule.category}\``;
  return rule.outcome === 'permanent' || rule.outcome === 'temporary' ? 'from the reply' : '—';
}

export function rulesTable(): string {
  const rows = BOUNCE_RULES.map((r) => {
    const basic = r.kind !== 'basic' && r.row.basic ? ` (basic \`${r.row.basic}\`)` : '';
    return `| ${r.index} | \`${r.id}\` | ${matchCell(r)}${basic} | ${r.outcome} | ${categoryCell(r)} | ${cell(r.why)} |`;
  });
  return ['| # | id | match | outcome | category | why |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

const ORDER_TEXT = [
  `The rules (\`src/core/bounceRules.json\`, ${BOUNCE_RULES.length} rows, checked at start-up) are tried in order and the first that matches wins:`,
  "nodemailer's error codes first (the relay's own session failed, so a 535 or 530 in them says nothing about the recipient;",
  "a connection error that carries a 4xx reply, as nodemailer reports a 421, is left to that reply's row),",
  'then exact enhanced status codes (RFC 3463), then text patterns (case-insensitive, on the whole reply), then an enhanced',
  "code's class (`5.7.x`), then the basic code (`5xx`). `basic` beside another match narrows it to replies with that code",
  "(a reply without one, such as an upstream's reason text, still matches). A permanent row never matches a 4xx reply, and a",
  'temporary row is never `invalid-recipient`. With no match, a 5xx is permanent and anything else temporary, category `other`.',
  'Upstream reports (`event` rows) give the verdict; for a bounce or a deferral the reply rows then give the category.',
];

/** The generated sections: a page holds any of them between its own markers. `bounce-rules` is the whole
 * of it (docs/bounce-rules.md); the README shows the categories and folds the rule table away. */
const SECTIONS: readonly { name: string; body: () => string[] }[] = [
  {
    name: 'bounce-rules',
    body: () => [
      'Every recipient row, event row and status answer carries `category` once a reply or an event has been classified.',
      '',
      categoriesTable(),
      '',
      ...ORDER_TEXT,
      '',
      rulesTable(),
    ],
  },
  { name: 'bounce-categories', body: () => [categoriesTable()] },
  { name: 'bounce-rule-table', body: () => [...ORDER_TEXT, '', rulesTable()] },
];

const markers = (name: string): [string, string] => [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];

function section(name: string, body: string[]): string {
  const [start, end] = markers(name);
  return [start, '', ...body, '', end].join('\n');
}

/** What goes between the `bounce-rules` markers. */
export function bounceRulesSection(): string {
  const [whole] = SECTIONS;
  return section(whole.name, whole.body());
}

/** Whether `page` holds any generated section. */
export function hasSection(page: string): boolean {
  return SECTIONS.some((s) => page.includes(markers(s.name)[0]));
}

/** `page` with the text between each pair of its markers replaced by the current section; throws without markers. */
export function withSection(page: string, file: string): string {
  if (!hasSection(page)) throw new Error(`${file} has no ${START_MARKER} ... ${END_MARKER} section to rewrite`);
  let rewritten = page;
  for (const { name, body } of SECTIONS) {
    const [startMarker, endMarker] = markers(name);
    const start = rewritten.indexOf(startMarker);
    if (start < 0) continue;
    const end = rewritten.indexOf(endMarker, start);
    if (end < 0) throw new Error(`${file} has ${startMarker} without ${endMarker}`);
    rewritten = rewritten.slice(0, start) + section(name, body()) + rewritten.slice(end + endMarker.length);
  }
  return rewritten;
}

export const DOC_FILE = path.resolve(__dirname, '..', '..', '..', 'docs', 'bounce-rules.md');

/** Rewrites the section in each file (docs/bounce-rules.md by default): `node dist/test/support/bounceRulesDoc.js [file ...]`. */
function writeSections(files: readonly string[]): void {
  for (const file of files) {
    writeFileSync(file, withSection(readFileSync(file, 'utf8'), file));
    console.log(`${file}: ${BOUNCE_RULES.length} bounce rules`);
  }
}

if (require.main === module) writeSections(process.argv.length > 2 ? process.argv.slice(2).map((f) => path.resolve(f)) : [DOC_FILE]);
