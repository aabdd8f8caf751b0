// The operators' numbers over the last hours, from the events table's outcomes (one event per
// recipient state change): pure counting, so the dashboard's figures are tested without storage.
import type { Category } from './categories';
import { RECIPIENT_STATUSES, type RecipientStatus } from './delivery';
import { destinationFor, type DeliveryPolicy } from './policy/types';

/** An outcome as the stats count it (relay/ports OutcomeEvent has this shape). */
export interface StatsEvent {
  messageId: string;
  recipientKey: string;
  status: RecipientStatus;
  at: Date;
  from: string;
  subject: string;
  smtpCode?: number;
  enhancedCode?: string;
  response?: string;
  category?: Category;
  heldBy?: string;
  nextAttemptAt?: Date;
}

export type StatusCounts = Record<RecipientStatus, number>;

export interface HourCounts extends StatusCounts {
  /** the hour's start, ISO */
  hour: string;
}

export interface GroupCounts {
  name: string;
  total: number;
  counts: StatusCounts;
}

export interface CategoryCount {
  category: string;
  count: number;
}

export interface ProblemView {
  at: string;
  messageId: string;
  recipient: string;
  status: RecipientStatus;
  from: string;
  subject: string;
  smtpCode: number | null;
  enhancedCode: string | null;
  response: string | null;
  category: string | null;
}

export interface HeldCount {
  heldBy: string;
  count: number;
}

export interface OutcomeStats {
  /** oldest first, one per hour of the window, the current hour last */
  perHour: HourCounts[];
  totals: StatusCounts;
  /** by config.policy destination (`other` for a domain in none), most outcomes first */
  destinations: GroupCounts[];
  /** by recipient domain, most outcomes first, at most MAX_DOMAINS */
  domains: GroupCounts[];
  categories: { deferred: CategoryCount[]; bounced: CategoryCount[]; failed: CategoryCount[] };
  /** bounces and failures, newest first, at most MAX_PROBLEMS */
  latestProblems: ProblemView[];
  /** recipients whose latest outcome in the window is a hold of a delivery policy, by what holds them */
  held: HeldCount[];
  /** recipients failed because the queue gave up on their task (moved to the poison queue) */
  poison: number;
}

export const MAX_DOMAINS = 20;
export const MAX_PROBLEMS = 20;
export const OTHER_DESTINATION = 'other';
/** How recordPoison words a poison task's failure: the mark the stats count it by. */
export const POISON_RESPONSE_PREFIX = 'the relay could not process this delivery';

const HOUR_MS = 3_600_000;

/** The start of each hour of the `hours` hours up to `now`, oldest first. */
export function hourStarts(now: Date, hours: number): Date[] {
  const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return Array.from({ length: hours }, (_, i) => new Date(current - (hours - 1 - i) * HOUR_MS));
}

function zeroCounts(): StatusCounts {
  return Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

export function countOutcomes(hours: readonly Date[], events: readonly StatsEvent[], policy: DeliveryPolicy): OutcomeStats {
  const perHour = hours.map((h) => ({ hour: h.toISOString(), ...zeroCounts() }));
  const first = hours[0]?.getTime() ?? 0;
  const totals = zeroCounts();
  const destinations = new Map<string, StatusCounts>();
  const domains = new Map<string, StatusCounts>();
  const categories = { deferred: new Map<string, number>(), bounced: new Map<string, number>(), failed: new Map<string, number>() };
  const latest = new Map<string, StatsEvent>();
  let poison = 0;
  for (const event of events) {
    const slot = perHour[Math.floor((event.at.getTime() - first) / HOUR_MS)];
    if (slot) slot[event.status]++;
    totals[event.status]++;
    const domain = event.recipientKey.slice(event.recipientKey.lastIndexOf('@') + 1);
    bump(destinations, destinationFor(policy, domain)?.name ?? OTHER_DESTINATION, event.status);
    bump(domains, domain, event.status);
    if (event.status === 'deferred' || event.status === 'bounced' || event.status === 'failed') {
      const byCategory = categories[event.status];
      const category = event.category ?? 'other';
      byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
    }
    if (event.status === 'failed' && event.response?.startsWith(POISON_RESPONSE_PREFIX)) poison++;
    const key = `${event.messageId}\n${event.recipientKey}`;
    const before = latest.get(key);
    if (!before || before.at.getTime() <= event.at.getTime()) latest.set(key, event);
  }
  return {
    perHour,
    totals,
    destinations: groups(destinations, Infinity),
    domains: groups(domains, MAX_DOMAINS),
    categories: { deferred: ranked(categories.deferred), bounced: ranked(categories.bounced), failed: ranked(categories.failed) },
    latestProblems: events
      .filter((e) => e.status === 'bounced' || e.status === 'failed')
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, MAX_PROBLEMS)
      .map(problemView),
    held: heldCounts([...latest.values()]),
    poison,
  };
}

function bump(map: Map<string, StatusCounts>, name: string, status: RecipientStatus): void {
  const counts = map.get(name) ?? zeroCounts();
  counts[status]++;
  map.set(name, counts);
}

function groups(map: Map<string, StatusCounts>, max: number): GroupCounts[] {
  return [...map]
    .map(([name, counts]) => ({ name, total: Object.values(counts).reduce((a, b) => a + b, 0), counts }))
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
    .slice(0, max);
}

function ranked(map: Map<string, number>): CategoryCount[] {
  return [...map].map(([category, count]) => ({ category, count })).sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

function heldCounts(latest: readonly StatsEvent[]): HeldCount[] {
  const byRule = new Map<string, number>();
  for (const e of latest) {
    if (e.heldBy && (e.status === 'queued' || e.status === 'deferred')) byRule.set(e.heldBy, (byRule.get(e.heldBy) ?? 0) + 1);
  }
  return [...byRule].map(([heldBy, count]) => ({ heldBy, count })).sort((a, b) => b.count - a.count || a.heldBy.localeCompare(b.heldBy));
}

function problemView(e: StatsEvent): ProblemView {
  return {
    at: e.at.toISOString(),
    messageId: e.messageId,
    recipient: e.recipientKey,
    status: e.status,
    from: e.from,
    subject: e.subject,
    smtpCode: e.smtpCode ?? null,
    enhancedCode: e.enhancedCode ?? null,
    response: e.response ?? null,
    category: e.category ?? null,
  };
}
