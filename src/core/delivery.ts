// Delivery rules, pure: recipient statuses, how an SMTP reply or error is classified, when a deferred
// recipient is retried, and what an invocation may do with a recipient row it finds.

import { replyRule } from './bounceRules';
import type { Category } from './categories';

export const RECIPIENT_STATUSES = ['queued', 'sending', 'deferred', 'sent', 'bounced', 'failed', 'suppressed'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

const FINAL: ReadonlySet<RecipientStatus> = new Set(['sent', 'bounced', 'failed', 'suppressed']);

export function isFinal(status: RecipientStatus): boolean {
  return FINAL.has(status);
}

/** A message is queued while any recipient may still change, and completed once every one is final. */
export function messageStatus(statuses: readonly RecipientStatus[]): 'queued' | 'completed' {
  return statuses.every(isFinal) ? 'completed' : 'queued';
}

export interface SmtpReply {
  smtpCode?: number;
  enhancedCode?: string;
  /** the smart host's reply text, or a description of the network error */
  response: string;
}

/** A classified reply: what it means for the recipient, why, and which rule said so. */
export interface Classified {
  /** why: the contract's category (none for a plain acceptance) */
  category?: Category;
  /** the id of the rule in src/core/bounceRules.json that matched, for operators and tests */
  rule?: string;
}

export type SmtpOutcome =
  ({ kind: 'accepted' } & SmtpReply & Classified) | ({ kind: 'permanent' } & SmtpReply & Classified) | ({ kind: 'temporary' } & SmtpReply & Classified);

const MAX_RESPONSE_LENGTH = 2000;

/** Splits "550 5.1.1 <x@y>: User unknown" into its basic and enhanced codes. */
export function parseSmtpReply(response: string): SmtpReply {
  // Kept in a table column: a multi-line reply is cut rather than risk the 64 KiB property limit.
  const text = response.trim().slice(0, MAX_RESPONSE_LENGTH);
  const match = /^([2-5]\d\d)[ -]?(?:([245]\.\d{1,3}\.\d{1,3})\b)?/.exec(text);
  return {
    smtpCode: match ? Number(match[1]) : undefined,
    enhancedCode: match?.[2],
    response: text,
  };
}

/** The fields of a nodemailer error the classification reads. */
export interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * Classifies a failed send by the bounce rules (./bounceRules.json, first match wins): nodemailer's
 * relay-side error codes defer even with a 5xx (535 authentication failed, 530 must STARTTLS), as
 * Postfix does, so that fixing the relay's settings delivers the backlog instead of bouncing it.
 * With no matching row a 5xx is permanent and anything else temporary, category `other`.
 */
export function classifySmtpError(err: SmtpErrorLike): SmtpOutcome {
  const reply = err.response ? parseSmtpReply(err.response) : undefined;
  const smtpCode = err.responseCode ?? reply?.smtpCode;
  const response = reply?.response ?? describeNetworkError(err);
  const base: SmtpReply = { smtpCode, enhancedCode: reply?.enhancedCode, response };
  const rule = replyRule({ errorCode: err.code, smtpCode, enhancedCode: base.enhancedCode, text: response });
  if (!rule) return { kind: smtpCode !== undefined && smtpCode >= 500 ? 'permanent' : 'temporary', ...base, category: 'other' };
  return { kind: rule.outcome === 'permanent' ? 'permanent' : 'temporary', ...base, category: rule.category ?? 'other', rule: rule.id };
}

/**
 * Classifies one recipient's RCPT refusal (nodemailer's rejectedErrors entry). It is about the
 * recipient: a 5xx bounces unless a rule says it is temporary (too many recipients, the relay's own
 * login or relaying rights at the smart host), a 4xx defers.
 */
export function classifyRecipientRefusal(err: SmtpErrorLike): SmtpOutcome {
  return classifySmtpError(err);
}

function describeNetworkError(err: SmtpErrorLike): string {
  const what = err.code ? `${err.code}: ` : '';
  return `${what}${err.message ?? 'unknown error'}`.slice(0, 1000);
}

export interface RetryPolicy {
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  /** counted from queuedAt: the recipient's lifetime (a destination's own, or RELAY_MAX_RETRY_SECONDS) */
  maxRetrySeconds: number;
  /** where that bound comes from, for the response; RELAY_MAX_RETRY_SECONDS when absent */
  lifetimeSource?: string;
}

/** Delay before the next attempt after `attempts` attempts have failed: doubling, capped. */
export function retryDelaySeconds(attempts: number, policy: RetryPolicy): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** Math.min(exponent, 30));
}

export type AfterTemporaryFailure = { status: 'deferred'; nextAttemptAt: Date } | { status: 'failed'; reason: string };

export function planAfterTemporaryFailure(attempts: number, queuedAt: Date, now: Date, policy: RetryPolicy): AfterTemporaryFailure {
  const next = new Date(now.getTime() + retryDelaySeconds(attempts, policy) * 1000);
  const expiresAt = queuedAt.getTime() + policy.maxRetrySeconds * 1000;
  if (next.getTime() > expiresAt) {
    const source = policy.lifetimeSource ?? `RELAY_MAX_RETRY_SECONDS=${policy.maxRetrySeconds}`;
    return { status: 'failed', reason: `retries ran out after ${attempts} attempts (${source})` };
  }
  return { status: 'deferred', nextAttemptAt: next };
}

export interface RowState {
  status: RecipientStatus;
  /** attempts made so far (an attempt counts from its start) */
  attempts: number;
  /** while `sending` after a claim: until when, and for which queue message, the claim holds */
  leaseUntil?: Date;
  leaseOwner?: string;
  nextAttemptAt?: Date;
  /** a delivery policy held it: its task was queued again, maybe more than once (see decideDelivery) */
  heldBy?: string;
}

export interface TaskState {
  /** the attempt the task was queued for; undefined for tasks from before attempts were numbered */
  attempt?: number;
  queueMessageId?: string;
  /** the queue handed this message out before, to an invocation that did not finish */
  redelivered: boolean;
}

export type Decision =
  { action: 'send'; attempt: number; claim: boolean } | { action: 'skip'; reason: string } | { action: 'wait'; until: Date; reason: string };

/** A retry message may surface a little before its row's nextAttemptAt (clock skew, visibility rounding). */
export const EARLY_TOLERANCE_MS = 2000;

/**
 * What an invocation may do with the recipient row it found. The queue message's own lease keeps
 * one invocation per task, and only the invocation that makes attempt n queues the task for n+1, so
 * a first delivery sends without writing a claim. A claim (status `sending`, a lease) is written only
 * when that reasoning does not hold: a redelivered message, whose earlier invocation may still have
 * reached the smart host, a task without an attempt number, or a row a policy held: each hold queues
 * the task again, and a crash between that and the end of the invocation leaves two copies of it.
 */
export function decideDelivery(row: RowState, task: TaskState, now: Date): Decision {
  if (isFinal(row.status)) return { action: 'skip', reason: `already ${row.status}` };
  const ownClaim = row.status === 'sending' && task.queueMessageId !== undefined && row.leaseOwner === task.queueMessageId;
  if (task.attempt !== undefined && row.attempts >= task.attempt && !ownClaim) {
    return { action: 'skip', reason: `attempt ${task.attempt} was made already (a duplicate task)` };
  }
  if (row.status === 'sending' && !ownClaim && row.leaseUntil && row.leaseUntil > now) {
    return { action: 'wait', until: row.leaseUntil, reason: 'another invocation is sending it' };
  }
  if (row.status === 'deferred' && row.nextAttemptAt && row.nextAttemptAt.getTime() - EARLY_TOLERANCE_MS > now.getTime()) {
    return { action: 'wait', until: row.nextAttemptAt, reason: 'its next attempt is not due yet' };
  }
  const attempt = task.attempt ?? row.attempts + 1;
  return { action: 'send', attempt, claim: task.attempt === undefined || task.redelivered || row.status === 'sending' || row.heldBy !== undefined };
}
