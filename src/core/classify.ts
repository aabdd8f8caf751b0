// Classifying what an upstream said: an SMTP reply or nodemailer error (classifySmtpError in
// ./delivery), or an event an upstream reports later (a SendGrid webhook event, an ACS delivery
// report, a DSN's per-recipient action). Interim: the bounce rules (src/core/bounceRules.json)
// replace this switch, keeping these signatures.
import type { Category } from './categories';
import { classifySmtpError } from './delivery';

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
  /** the rule that matched */
  rule: string;
}

export function classifyUpstreamReport(report: UpstreamReport): ReportClassification {
  const type = report.type.toLowerCase();
  const reply = () => classifySmtpError({ responseCode: report.smtpCode, response: report.response ?? `${report.enhancedCode ?? ''} ${report.type}` });
  if (report.source === 'sendgrid') {
    if (type === 'delivered') return { verdict: 'delivered', rule: 'sendgrid-delivered' };
    if (type === 'deferred') return { verdict: 'deferred', category: reply().category, rule: 'sendgrid-deferred' };
    if (type === 'bounce' || type === 'blocked' || type === 'dropped')
      return { verdict: 'bounced', category: reply().category ?? interimCategory(report), rule: `sendgrid-${type}` };
    if (type === 'spamreport') return { verdict: 'complaint', category: 'complaint', rule: 'sendgrid-spamreport' };
    if (type === 'unsubscribe' || type === 'group_unsubscribe') return { verdict: 'unsubscribe', rule: 'sendgrid-unsubscribe' };
    return { verdict: 'ignored', rule: 'sendgrid-other' };
  }
  if (report.source === 'acs') {
    if (type === 'delivered') return { verdict: 'delivered', rule: 'acs-delivered' };
    if (type === 'bounced' || type === 'failed' || type === 'suppressed')
      return { verdict: 'bounced', category: reply().category ?? interimCategory(report), rule: `acs-${type}` };
    if (type === 'filteredspam' || type === 'quarantined') return { verdict: 'bounced', category: 'policy', rule: `acs-${type}` };
    return { verdict: 'ignored', rule: 'acs-other' };
  }
  if (type === 'delivered' || type === 'relayed' || type === 'expanded') return { verdict: 'delivered', rule: 'dsn-delivered' };
  if (type === 'delayed') return { verdict: 'deferred', category: reply().category, rule: 'dsn-delayed' };
  if (type === 'failed') return { verdict: 'bounced', category: reply().category ?? interimCategory(report), rule: 'dsn-failed' };
  return { verdict: 'ignored', rule: 'dsn-other' };
}

// Interim (the events branch), until the rule table replaces this file: enough to tell an address
// that does not exist from every other refusal, so that late bounces suppress.
function interimCategory(report: UpstreamReport): Category {
  const text = `${report.enhancedCode ?? ''} ${report.response ?? ''}`;
  return /\b5\.1\.(?:1|10)\b|user unknown|unknown user|does not exist|no such user|RecipNotFound/i.test(text) ? 'invalid-recipient' : 'other';
}
