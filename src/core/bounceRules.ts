// The bounce rules: the table in ./bounceRules.json, checked when this module is first loaded (at
// start-up), so a malformed table stops the app with a message naming the row instead of quietly
// misclassifying replies. A reply, a nodemailer error or an upstream event is classified by the first
// row that matches it. The rows are grouped by kind, in this order, which the checker enforces:
//
//   1. errorCode      nodemailer's error code (EAUTH, ETLS, ECONNECTION, ...). First, because it says the
//                     relay's own session failed: a 535 or 530 in it says nothing about the recipient.
//                     The connection errors' rows are narrowed to 5xx: a 421 closes the session, so
//                     nodemailer reports ECONNECTION with the receiver's reply, which its own row reads.
//   2. enhanced       an exact enhanced status code (RFC 3463), "5.1.1": the most precise statement.
//   3. text           a case-insensitive regular expression on the reply text, for generic codes (5.7.1,
//                     5.0.0, none at all) and for the providers' and carriers' own wordings.
//   4. enhanced class "5.1.x": the subject of an enhanced code no earlier row named.
//   5. basic          a basic code or class alone, "535" or "5xx": the last word on a reply.
//   6. event          "sendgrid:bounce", "acs:FilteredSpam", "dsn:failed", "dsn:*": an upstream's report,
//                     consulted only for reports (the reply rows then name a bounce's category).
//
// `basic` beside another match narrows it: a reply with another basic code is not matched, one without
// a code (an upstream's reason text) is. An enhanced row matches only replies whose basic code, if they
// have one, is of the same class (RFC 3463 has them agree). When no row matches, a 5xx is permanent and
// anything else temporary, category `other` (see classifySmtpError).
import table from './bounceRules.json';
import { CATEGORIES, type Category, isCategory } from './categories';

export const REPLY_OUTCOMES = ['temporary', 'permanent'] as const;
/** An event row may also say the message was delivered, or was a complaint, an unsubscribe or nothing. */
export const EVENT_OUTCOMES = ['sent', 'temporary', 'permanent', 'complaint', 'unsubscribe', 'ignored'] as const;
export type RuleOutcome = (typeof EVENT_OUTCOMES)[number];

export const RULE_KINDS = ['errorCode', 'enhanced', 'text', 'enhancedClass', 'basic', 'event'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
const KIND_NAMES: Record<RuleKind, string> = {
  errorCode: 'errorCode',
  enhanced: 'exact enhanced code',
  text: 'text',
  enhancedClass: 'enhanced class',
  basic: 'basic code',
  event: 'event',
};

/** A row as the file has it. */
export interface RuleRow {
  id: string;
  errorCode?: string;
  enhanced?: string;
  text?: string;
  event?: string;
  basic?: string;
  outcome: string;
  category?: string;
  why: string;
}

export interface BounceRule {
  readonly index: number;
  readonly id: string;
  readonly kind: RuleKind;
  readonly outcome: RuleOutcome;
  readonly category?: Category;
  readonly why: string;
  readonly row: Readonly<RuleRow>;
  readonly pattern?: RegExp;
}

/** What a reply rule looks at. */
export interface ReplyFacts {
  /** nodemailer's error code, if the reply came with an error */
  errorCode?: string;
  smtpCode?: number;
  enhancedCode?: string;
  /** the reply text (code included), or a description of the network error */
  text: string;
}

export class BounceRulesError extends Error {
  override readonly name = 'BounceRulesError';
  constructor(readonly problems: readonly string[]) {
    super(`src/core/bounceRules.json is not a valid rule table: ${problems.join('; ')}`);
  }
}

const FIELDS = new Set(['id', 'errorCode', 'enhanced', 'text', 'event', 'basic', 'outcome', 'category', 'why']);
const MATCHES = ['errorCode', 'enhanced', 'text', 'event'] as const;
const ID = /^[a-z0-9][a-z0-9.-]*$/;
const FORMATS: Record<'errorCode' | 'enhanced' | 'event' | 'basic', { pattern: RegExp; says: string }> = {
  errorCode: { pattern: /^E[A-Z]+$/, says: 'a nodemailer error code such as EAUTH' },
  enhanced: { pattern: /^[245]\.\d{1,3}\.(\d{1,3}|x)$/, says: 'an enhanced code such as 5.1.1, or a class such as 5.1.x' },
  event: { pattern: /^(sendgrid|acs|dsn):([A-Za-z_]+|\*)$/, says: 'sendgrid:, acs: or dsn: and an event type, or *' },
  basic: { pattern: /^[245](\d\d|xx)$/, says: 'a basic code such as 550, or a class such as 5xx' },
};
// Every row says where its wording or meaning comes from.
const SOURCE =
  /RFC \d+|IANA|Gmail|Outlook|Exchange|Microsoft|Yahoo|AOL|docomo|KDDI|SoftBank|sisimai|KumoMTA|ZoneMTA|Postfix|Exim|qmail|nodemailer|SendGrid|ACS|this relay/;
const MAX_WHY = 200;

/** Checks a rule table; throws BounceRulesError listing every problem, each naming its row. */
export function checkBounceRules(input: unknown): BounceRule[] {
  const problems: string[] = [];
  const rows = isObject(input) && Array.isArray(input.rules) ? (input.rules as unknown[]) : undefined;
  if (!rows) throw new BounceRulesError(['the table is not an object with a "rules" list']);
  const rules: BounceRule[] = [];
  rows.forEach((raw, index) => {
    const rule = checkRow(raw, index, problems);
    if (!rule) return;
    const at = `row ${index} (${rule.id})`;
    const same = rules.find((r) => r.id === rule.id);
    if (same) problems.push(`${at}: duplicate id, row ${same.index} has it too`);
    const previous = rules[rules.length - 1];
    if (previous && RULE_KINDS.indexOf(rule.kind) < RULE_KINDS.indexOf(previous.kind)) {
      problems.push(
        `${at}: ${KIND_NAMES[rule.kind]} row after the ${KIND_NAMES[previous.kind]} row ${previous.index}; the order is ${RULE_KINDS.map((k) => KIND_NAMES[k]).join(', ')}`,
      );
    }
    const shadow = rules.find((r) => shadows(r, rule));
    if (shadow) problems.push(`${at}: never reached, row ${shadow.index} (${shadow.id}) matches everything it does`);
    rules.push(rule);
  });
  if (problems.length > 0) throw new BounceRulesError(problems);
  return rules;
}

function checkRow(raw: unknown, index: number, problems: string[]): BounceRule | undefined {
  if (!isObject(raw)) {
    problems.push(`row ${index}: not an object`);
    return undefined;
  }
  const id = typeof raw.id === 'string' && ID.test(raw.id) ? raw.id : undefined;
  const at = `row ${index} (${id ?? String(raw.id)})`;
  const found: string[] = [];
  const say = (problem: string) => found.push(`${at}: ${problem}`);
  if (!id) say('id must be lower-case letters, digits, dots and hyphens');
  for (const field of Object.keys(raw)) if (!FIELDS.has(field)) say(`unknown field "${field}"`);
  for (const field of ['errorCode', 'enhanced', 'text', 'event', 'basic', 'outcome', 'category', 'why'] as const) {
    if (raw[field] !== undefined && typeof raw[field] !== 'string') say(`${field} must be a string`);
  }
  const row = raw as unknown as RuleRow;
  const matches = MATCHES.filter((m) => row[m] !== undefined);
  if (matches.length > 1) say(`more than one match (${matches.join(', ')}); a row has one, optionally narrowed by basic`);
  if (matches.length === 0 && row.basic === undefined) say(`no match: give one of ${MATCHES.join(', ')}, or basic`);
  for (const field of ['errorCode', 'enhanced', 'event', 'basic'] as const) {
    const value = row[field];
    if (typeof value === 'string' && !FORMATS[field].pattern.test(value)) say(`${field} "${value}" is not ${FORMATS[field].says}`);
  }
  const kind: RuleKind = kindOf(row);
  const pattern = typeof row.text === 'string' ? compile(row.text, say) : undefined;
  if (kind === 'event' && row.basic !== undefined) say('an event row has no basic code');
  checkOutcome(row, kind, say);
  checkWhy(row.why, say);
  if (found.length > 0 || !id) {
    problems.push(...found);
    return undefined;
  }
  const category = row.category as Category | undefined;
  return { index, id, kind, outcome: row.outcome as RuleOutcome, category, why: row.why, row, pattern };
}

function kindOf(row: RuleRow): RuleKind {
  if (row.errorCode !== undefined) return 'errorCode';
  if (row.enhanced !== undefined) return String(row.enhanced).endsWith('.x') ? 'enhancedClass' : 'enhanced';
  if (row.text !== undefined) return 'text';
  if (row.event !== undefined) return 'event';
  return 'basic';
}

function compile(source: string, say: (problem: string) => void): RegExp | undefined {
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, 'i');
  } catch (err) {
    say(`bad regex: ${(err as Error).message}`);
    return undefined;
  }
  if (pattern.test('')) say('text matches an empty reply, so it would match every reply');
  return pattern;
}

function checkOutcome(row: RuleRow, kind: RuleKind, say: (problem: string) => void): void {
  const outcomes: readonly string[] = kind === 'event' ? EVENT_OUTCOMES : REPLY_OUTCOMES;
  if (typeof row.outcome !== 'string' || !outcomes.includes(row.outcome)) {
    const forEvents = (EVENT_OUTCOMES as readonly string[]).includes(String(row.outcome));
    say(forEvents ? `outcome "${row.outcome}" is for event rows only` : `unknown outcome "${String(row.outcome)}" (one of ${outcomes.join(', ')})`);
    return;
  }
  if (row.category !== undefined && !isCategory(row.category)) say(`unknown category "${row.category}" (one of ${CATEGORIES.join(', ')})`);
  if (kind !== 'event' && row.category === undefined) say('a reply row needs a category');
  if (['sent', 'unsubscribe', 'ignored'].includes(row.outcome) && row.category !== undefined) say(`an "${row.outcome}" event has no category`);
  if (row.outcome === 'complaint' && row.category !== 'complaint') say('a complaint event has category "complaint"');
  // A deferral never says an address is gone: a row failed after its retries must not suppress it.
  if (row.outcome === 'temporary' && row.category === 'invalid-recipient') say('a temporary row cannot be invalid-recipient');
  if (row.outcome === 'permanent' && kind !== 'event' && mayMatch4xx(row, kind)) {
    say('a permanent row must not match a 4xx reply: give basic "5xx" (or a 5xx code), or a 5.y.z enhanced code');
  }
  const enhancedClass = kind === 'enhanced' || kind === 'enhancedClass' ? row.enhanced?.[0] : undefined;
  if (enhancedClass && row.basic !== undefined && row.basic[0] !== enhancedClass)
    say(`basic "${row.basic}" disagrees with the enhanced class ${enhancedClass}`);
}

function mayMatch4xx(row: RuleRow, kind: RuleKind): boolean {
  if (kind === 'enhanced' || kind === 'enhancedClass') return row.enhanced?.[0] !== '5';
  return row.basic?.[0] !== '5';
}

function checkWhy(why: unknown, say: (problem: string) => void): void {
  if (typeof why !== 'string' || why.trim() === '') return say('why is missing: one line a reader scans');
  if (/[\r\n]/.test(why)) say('why must be one line');
  if (why.length > MAX_WHY) say(`why is longer than ${MAX_WHY} characters`);
  if (!SOURCE.test(why)) say('why names no source (an RFC, IANA, a provider or carrier, sisimai, KumoMTA, ZoneMTA, this relay)');
}

/** Whether `earlier` matches every reply or event `later` does, so that `later` is never reached. */
function shadows(earlier: BounceRule, later: BounceRule): boolean {
  if (earlier.kind !== later.kind) return false;
  const a = earlier.row;
  const b = later.row;
  switch (later.kind) {
    case 'errorCode':
      return a.errorCode === b.errorCode && basicCovers(a.basic, b.basic);
    case 'enhanced':
    case 'enhancedClass':
      return a.enhanced === b.enhanced && basicCovers(a.basic, b.basic);
    case 'text':
      return a.text?.toLowerCase() === b.text?.toLowerCase() && basicCovers(a.basic, b.basic);
    case 'basic':
      return basicCovers(a.basic, b.basic);
    case 'event': {
      const [source] = (b.event ?? '').split(':');
      return a.event?.toLowerCase() === b.event?.toLowerCase() || a.event === `${source}:*`;
    }
  }
}

/** Whether a row narrowed by `a` matches every reply one narrowed by `b` does. */
function basicCovers(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return true;
  if (b === undefined) return false;
  return a === b || (a.endsWith('xx') && a[0] === b[0]);
}

function basicMatches(basic: string, code: number): boolean {
  return basic.endsWith('xx') ? String(code)[0] === basic[0] : String(code) === basic;
}

function basicAllows(rule: BounceRule, facts: ReplyFacts): boolean {
  return rule.row.basic === undefined || facts.smtpCode === undefined || basicMatches(rule.row.basic, facts.smtpCode);
}

function classAgrees(enhanced: string, facts: ReplyFacts): boolean {
  return facts.smtpCode === undefined || String(facts.smtpCode)[0] === enhanced[0];
}

export function matchesReply(rule: BounceRule, facts: ReplyFacts): boolean {
  const { row } = rule;
  switch (rule.kind) {
    case 'errorCode':
      return facts.errorCode === row.errorCode && basicAllows(rule, facts);
    case 'enhanced':
      return facts.enhancedCode !== undefined && facts.enhancedCode === row.enhanced && classAgrees(facts.enhancedCode, facts) && basicAllows(rule, facts);
    case 'text':
      return rule.pattern !== undefined && rule.pattern.test(facts.text) && basicAllows(rule, facts);
    case 'enhancedClass': {
      const subject = (row.enhanced ?? '').slice(0, -1);
      return facts.enhancedCode !== undefined && facts.enhancedCode.startsWith(subject) && classAgrees(subject, facts) && basicAllows(rule, facts);
    }
    case 'basic':
      return facts.smtpCode !== undefined && basicMatches(row.basic ?? '', facts.smtpCode);
    case 'event':
      return false;
  }
}

/** The first reply row that matches, if any. */
export function replyRule(facts: ReplyFacts, rules: readonly BounceRule[] = BOUNCE_RULES): BounceRule | undefined {
  return rules.find((rule) => matchesReply(rule, facts));
}

/** The first event row for an upstream's report type (case-insensitive), if any. */
export function eventRule(source: string, type: string, rules: readonly BounceRule[] = BOUNCE_RULES): BounceRule | undefined {
  const wanted = `${source}:${type}`.toLowerCase();
  return rules.find((rule) => rule.kind === 'event' && (rule.row.event?.toLowerCase() === wanted || rule.row.event === `${source}:*`));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The relay's rules, checked once, when this module loads. */
export const BOUNCE_RULES: readonly BounceRule[] = checkBounceRules(table);
