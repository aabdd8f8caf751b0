// GET /api/v1/stats: the dashboard's numbers. Outcomes come from the events table, one query per
// hour partition (so `hours=24` is 24 queries, each reading only that hour's events, a page per
// 1,000 of them); the first suppressions from one page of the suppression list; suspensions from
// their table; smart hosts' cool-offs from one partition of the shaping table. Nothing here scans
// the deliveries table.
import { countOutcomes, hourStarts, type OutcomeStats } from '../core/deliveryStats';
import type { FieldError } from '../errors';
import { orStorageUnavailable, ValidationError } from '../errors';
import type { RelayDeps } from './deps';
import type { OutcomeEvent, SmartHostCoolOff } from './ports';
import { toView as suppressionView, type SuppressionView } from './suppressionList';
import { toView, type SuspensionView } from './suspensionList';

export const STATS_HOURS = { default: 24, min: 1, max: 168 } as const;
export const FIRST_SUPPRESSIONS = 10;
/** Hour partitions read at once: enough to hide the round trips, few enough to stay polite. */
const PARALLEL_HOURS = 6;

export interface StatsView extends OutcomeStats {
  generatedAt: string;
  hours: number;
  since: string;
  /** the suppression list's first entries (in its own order, by address) and whether there are more */
  suppressions: { entries: SuppressionView[]; more: boolean };
  suspensions: SuspensionView[];
  /** smart hosts skipped until `until` because they kept failing (RELAY_SMARTHOST_COOLOFF_*) */
  coolOffs: CoolOffView[];
  /** what answering cost: the hour partitions queried and the events read */
  read: { hourPartitions: number; events: number };
}

/** A smart host's cool-off as the stats show it. */
export interface CoolOffView {
  smartHost: string;
  until: string;
  /** the failures in a row that cooled it off, since when, and the last of them */
  failures: number;
  since: string;
  reason: string;
}

export type Query = readonly (readonly [string, string])[];

export async function deliveryStats(deps: RelayDeps, query: Query): Promise<StatsView> {
  const hours = validHours(query);
  const now = deps.now();
  const starts = hourStarts(now, hours);
  const storage = <T>(what: string, action: () => Promise<T>) => orStorageUnavailable(action, `Storage failed while reading ${what}. Retry later.`);
  const [events, suppressions, suspensions, coolOffs] = await Promise.all([
    storage('the events', () => eventsOf(deps, starts)),
    storage('the suppression list', () => deps.suppressions.list({ limit: FIRST_SUPPRESSIONS })),
    storage('the suspensions', () => deps.suspensions.list(now)),
    storage("the smart hosts' cool-offs", () => deps.smartHostHealth.list(now)),
  ]);
  return {
    generatedAt: now.toISOString(),
    hours,
    since: (starts[0] ?? now).toISOString(),
    ...countOutcomes(starts, events, deps.config.policy),
    suppressions: {
      entries: suppressions.items.filter((e) => e.expiresAt === undefined || e.expiresAt > now).map(suppressionView),
      more: suppressions.continuationToken !== undefined,
    },
    suspensions: suspensions.map(toView),
    coolOffs: coolOffs.map(coolOffView),
    read: { hourPartitions: starts.length, events: events.length },
  };
}

function coolOffView(c: SmartHostCoolOff): CoolOffView {
  return { smartHost: c.name, until: c.until.toISOString(), failures: c.failures, since: c.since.toISOString(), reason: c.reason };
}

async function eventsOf(deps: RelayDeps, starts: readonly Date[]): Promise<OutcomeEvent[]> {
  const found: OutcomeEvent[] = [];
  for (let i = 0; i < starts.length; i += PARALLEL_HOURS) {
    const batch = await Promise.all(starts.slice(i, i + PARALLEL_HOURS).map((hour) => deps.events.inHour(hour)));
    for (const events of batch) found.push(...events);
  }
  return found;
}

function validHours(query: Query): number {
  const errors: FieldError[] = [];
  let hours: number = STATS_HOURS.default;
  let seen = false;
  for (const [name, value] of query) {
    if (name === 'code') continue;
    if (name !== 'hours') errors.push({ field: shownName(name), message: 'is not a known query parameter (hours)' });
    else if (seen) errors.push({ field: 'hours', message: 'is given more than once' });
    else {
      seen = true;
      const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
      if (n >= STATS_HOURS.min && n <= STATS_HOURS.max) hours = n;
      else errors.push({ field: 'hours', message: `must be a whole number from ${STATS_HOURS.min} to ${STATS_HOURS.max}` });
    }
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return hours;
}

/** A query parameter's name as a field in the answer: never empty, no control characters. */
function shownName(name: string): string {
  const shown = name.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 100);
  return shown === '' ? '(empty name)' : shown;
}
