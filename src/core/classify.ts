// Classifying what an upstream said: an SMTP reply or nodemailer error (classifySmtpError in
// ./delivery), or an event an upstream reports later (a SendGrid webhook event, an ACS delivery
// report, a DSN's per-recipient action). Both go by the bounce rules (./bounceRules.json): the
// event rows give the verdict, and for a bounce or a deferral that names no category, the reply rows
// give it from the reply the upstream passed on.
import { eventRule, replyRule, type RuleOutcome } from './bounceRules';
import type { Category } from './categories';

export type UpstreamSource = 'sendgrid' | 'acs' | 'dsn';

export interface UpstreamReport {
  source: UpstreamSource;
  /** the upstream's own word for what happened: SendGrid's `event`, ACS's `status`, a DSN's `Action` */
  type: string;
  smtpCode?: number;
  enhancedCode?: string;
  /** the reply or reason text the upstream passed on, if any */
  response?: string;
}

/** What a report means for a recipient the relay had handed over. */
export type Verdict =
  /** the receiving system took it: a `sent` recipient stays so */
  | 'delivered'
  /** a permanent refusal after the 250: `sent` becomes `bounced` */
  | 'bounced'
  /** a temporary refusal the upstream is still retrying: nothing changes */
  | 'deferred'
  /** a spam report: the status stays, the address is suppressed, the breaker counts it */
  | 'complaint'
  /** the recipient unsubscribed at the upstream: suppressed for the sender domain */
  | 'unsubscribe'
  /** says nothing about delivery (opens, clicks, processing) */
  | 'ignored';

export interface ReportClassification {
  verdict: Verdict;
  category?: Category;
  /** the event rule that matched */
  rule: string;
  /** the reply rule that named the category, when the event rule left it to the reply */
  replyRule?: string;
}

const VERDICTS: Record<RuleOutcome, Verdict> = {
  sent: 'delivered',
  permanent: 'bounced',
  temporary: 'deferred',
  complaint: 'complaint',
  unsubscribe: 'unsubscribe',
  ignored: 'ignored',
};

/** Why no event row matched: the table ends each source with a `source:*` row, so only a gap. */
const NO_EVENT_RULE: ReportClassification = { verdict: 'ignored', rule: 'no-rule' };

export function classifyUpstreamReport(report: UpstreamReport): ReportClassification {
  const rule = eventRule(report.source, report.type);
  if (!rule) return NO_EVENT_RULE;
  const verdict = VERDICTS[rule.outcome];
  if (rule.category !== undefined || (verdict !== 'bounced' && verdict !== 'deferred')) {
    return rule.category === undefined ? { verdict, rule: rule.id } : { verdict, category: rule.category, rule: rule.id };
  }
  const text = report.response ?? [report.smtpCode, report.enhancedCode].filter((part) => part !== undefined).join(' ');
  const reply = replyRule({ smtpCode: report.smtpCode ?? codeAtStart(text), enhancedCode: report.enhancedCode ?? enhancedIn(text), text });
  // A bounce always carries a category; a deferral whose reply names none still says it is `other`.
  return reply ? { verdict, category: reply.category ?? 'other', rule: rule.id, replyRule: reply.id } : { verdict, category: 'other', rule: rule.id };
}

function codeAtStart(text: string): number | undefined {
  // a DSN's Diagnostic-Code may keep its type: "smtp; 550 5.1.1 ..."
  const match = /^(?:smtp;\s*)?([245]\d\d)\b/i.exec(text.trim());
  return match ? Number(match[1]) : undefined;
}

function enhancedIn(text: string): string | undefined {
  return /(?:^|[\s;(#-])([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1];
}
