// The policy file's warm-up plans and reactions, resolved (see resolve.ts for the destinations).
// Built-in reactions come first; a file reaction with a built-in's name replaces it, and a built-in
// whose destinations are all gone (dropped, or "builtIn": false) is dropped with them.
import { BUILT_IN_REACTIONS, STANDARD_WARMUP, STANDARD_WARMUP_STEPS } from './presets';
import { parseDomain, parsePattern, parseRate, parseStartDate } from './parse';
import { type BuiltIns, duration, isObject, type Json, type Problems, step } from './resolveParts';
import { smartHostNames, unknownSmartHost } from './resolveRoutes';
import type { Destination, ReactionRule, SmartHostLimits, WarmupPlan, WarmupStep } from './types';

export function resolveWarmup(warmup: Json, smartHosts: ReadonlyMap<string, SmartHostLimits>, problems: Problems): WarmupPlan[] {
  const plans: WarmupPlan[] = [];
  const senders = isObject(warmup.senders) ? warmup.senders : {};
  for (const [domain, plan] of Object.entries(senders)) {
    const path = `/warmup/senders/${step(domain)}`;
    const parsed = parseDomain(domain);
    if (!parsed.ok) problems.add(path, parsed.problem);
    const resolved = resolvePlan(plan, path, problems);
    if (parsed.ok && resolved) plans.push({ kind: 'sender', name: parsed.value, ...resolved });
  }
  const hosts = isObject(warmup.smartHosts) ? warmup.smartHosts : {};
  const known = new Set(smartHostNames(smartHosts));
  for (const [name, entry] of Object.entries(hosts)) {
    const path = `/warmup/smartHosts/${step(name)}`;
    if (!known.has(name)) problems.add(path, unknownSmartHost(name, smartHosts));
    const plan = resolvePlan(entry, path, problems);
    if (plan && known.has(name)) plans.push({ kind: 'smartHost', name, ...plan });
  }
  return plans;
}

function resolvePlan(plan: unknown, path: string, problems: Problems): Pick<WarmupPlan, 'startsAt' | 'steps'> | undefined {
  if (!isObject(plan) || typeof plan.start !== 'string') return undefined;
  const start = parseStartDate(plan.start);
  if (!start.ok) problems.add(`${path}/start`, start.problem);
  const steps = resolveSteps(plan.schedule, `${path}/schedule`, problems);
  return start.ok && steps ? { startsAt: start.value, steps } : undefined;
}

function resolveSteps(schedule: unknown, path: string, problems: Problems): WarmupStep[] | undefined {
  if (typeof schedule === 'string') {
    if (schedule === STANDARD_WARMUP) return STANDARD_WARMUP_STEPS.map((s) => ({ ...s }));
    problems.add(path, `${JSON.stringify(schedule)} is not a built-in schedule (write "${STANDARD_WARMUP}", or a list of {day, perHour, perDay})`);
    return undefined;
  }
  if (!Array.isArray(schedule) || schedule.length === 0) return undefined;
  const steps: WarmupStep[] = [];
  let fine = true;
  schedule.forEach((step, i) => {
    if (!isObject(step) || typeof step.day !== 'number') return (fine = false);
    const perHour = typeof step.perHour === 'number' ? step.perHour : undefined;
    const perDay = typeof step.perDay === 'number' ? step.perDay : undefined;
    if (perHour === undefined && perDay === undefined) {
      problems.add(`${path}/${i}`, 'the step caps nothing: give "perHour", "perDay" or both');
      fine = false;
    }
    const previous = steps[steps.length - 1];
    if (i === 0 && step.day !== 0) problems.add(`${path}/0/day`, `the first step is day ${step.day}: the ramp starts at day 0, its start date`);
    if (previous && step.day <= previous.day)
      problems.add(`${path}/${i}/day`, `day ${step.day} comes after day ${previous.day}: list the steps by ascending day`);
    if ((i === 0 && step.day !== 0) || (previous && step.day <= previous.day)) fine = false;
    steps.push({ day: step.day, ...(perHour !== undefined ? { perHour } : {}), ...(perDay !== undefined ? { perDay } : {}) });
  });
  return fine ? steps : undefined;
}

export function resolveReactions(entries: unknown[], destinations: readonly Destination[], builtIns: BuiltIns, problems: Problems): ReactionRule[] {
  const known = new Set(destinations.map((d) => d.name));
  const fromFile: ReactionRule[] = [];
  const names = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (!isObject(entry)) return;
    const path = `/reactions/${i}`;
    if (typeof entry.name === 'string') {
      const first = names.get(entry.name);
      if (first !== undefined) problems.add(`${path}/name`, `${JSON.stringify(entry.name)} is also the name of /reactions/${first}: names must differ`);
      else names.set(entry.name, i);
    }
    const rule = reaction(entry, path, known, problems);
    if (rule) fromFile.push(rule);
  });
  if (!builtIns.reactions) return fromFile;
  const builtIn: ReactionRule[] = [];
  for (const preset of BUILT_IN_REACTIONS) {
    if (names.has(preset.name)) continue;
    if (preset.destinations && !preset.destinations.some((d) => known.has(d))) continue;
    const rule = reaction({ ...preset, destinations: preset.destinations?.filter((d) => known.has(d)) }, `(built-in ${preset.name})`, known, problems);
    if (rule) builtIn.push(rule);
  }
  return [...builtIn, ...fromFile];
}

function reaction(entry: Json, path: string, known: ReadonlySet<string>, problems: Problems): ReactionRule | undefined {
  const { name, match, action, target, rateFactor } = entry;
  let fine = typeof name === 'string' && (action === 'suspend' || action === 'slow') && (target === 'destination' || target === 'smartHost');
  const pattern = typeof match === 'string' && match !== '' ? parsePattern(match) : undefined;
  if (pattern && !pattern.ok) problems.add(`${path}/match`, pattern.problem);
  if (!pattern?.ok) fine = false;

  const destinations = Array.isArray(entry.destinations) ? entry.destinations.filter((d): d is string => typeof d === 'string') : undefined;
  destinations?.forEach((d, j) => {
    if (known.has(d)) return;
    problems.add(`${path}/destinations/${j}`, `${JSON.stringify(d)} is not a destination in effect (destinations: ${[...known].join(', ') || 'none'})`);
    fine = false;
  });

  let threshold: ReactionRule['threshold'];
  if (typeof entry.threshold === 'string') {
    const parsed = parseRate(entry.threshold);
    if (parsed.ok) threshold = { count: parsed.value.count, windowSeconds: parsed.value.seconds };
    else {
      problems.add(
        `${path}/threshold`,
        `${JSON.stringify(entry.threshold)} is not a threshold (write N/s, N/min, N/h or N/day, e.g. "3/h": 3 matches in an hour)`,
      );
      fine = false;
    }
  }

  if (action === 'slow' && typeof rateFactor !== 'number') {
    problems.add(path, 'a "slow" reaction needs "rateFactor": the rate is multiplied by it (0 < rateFactor < 1)');
    fine = false;
  } else if (action === 'slow' && typeof rateFactor === 'number' && !(rateFactor > 0 && rateFactor < 1)) {
    problems.add(`${path}/rateFactor`, `${rateFactor} is not a slowing factor: it must be above 0 and below 1`);
    fine = false;
  } else if (action === 'suspend' && rateFactor !== undefined) {
    problems.add(`${path}/rateFactor`, 'only a "slow" reaction takes a rateFactor; a "suspend" sends nothing for its duration');
    fine = false;
  }

  const seconds = entry.duration === undefined ? undefined : duration(entry.duration, `${path}/duration`, problems);
  if (!fine || seconds === undefined || !pattern?.ok) return undefined;
  return {
    name: name as string,
    pattern: pattern.value,
    ...(destinations ? { destinations } : {}),
    ...(threshold ? { threshold } : {}),
    action: action as ReactionRule['action'],
    target: target as ReactionRule['target'],
    ...(action === 'slow' ? { rateFactor: rateFactor as number } : {}),
    durationSeconds: seconds,
  };
}
