// The shaping stage's targets and its lines of the Markdown report.
import type { Target } from './report';
import type { ShapingResult, ShapingRun } from './shaping';

const EXTRA_PER_HOLD_TARGET = 3;
const PER_MESSAGE_TARGET = 6;

export function shapingTargets(s: ShapingResult): Target[] {
  const targets: Target[] = s.runs.map((run) => ({
    figure: runFigure(s, run),
    value: run.ratio,
    target: '0.95–1× the limit, busiest 60 s ≤ limit',
    met: run.verdict === 'held',
  }));
  if (s.cost) {
    targets.push({
      figure: 'shaping: storage transactions per message, one rule',
      value: s.cost.open.perMessage,
      target: `≤ ${PER_MESSAGE_TARGET}`,
      met: s.cost.open.perMessage <= PER_MESSAGE_TARGET,
    });
    // no hold seen means the limit was not enforced: nothing to compare, so not met
    const extra = s.cost.extraPerHold;
    targets.push({
      figure: 'shaping: extra transactions per held message',
      value: extra,
      target: `≤ ${EXTRA_PER_HOLD_TARGET}`,
      met: Number.isFinite(extra) && extra <= EXTRA_PER_HOLD_TARGET,
    });
  }
  return targets;
}

function runFigure(s: ShapingResult, run: ShapingRun): string {
  return `shaping ${run.instances} host(s): achieved vs ${s.perMinute}/min`;
}

const n = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : String(x));
const yes = (met: boolean | undefined) => (met === undefined ? '–' : met ? 'yes' : '**no**');

/** Rows of the main table (Figure | Relay | Baseline | Ratio | Target | Met). */
export function shapingRows(s: ShapingResult, targets: readonly Target[]): string[] {
  const find = (figure: string) => targets.find((t) => t.figure === figure);
  const rows = s.runs.map((run) => {
    const t = find(runFigure(s, run));
    const verdict = run.verdict === 'held' ? '' : ` (${run.verdict})`;
    return (
      `| Shaping, ${run.instances} host(s), load ${run.loadPerMinute}/min: achieved over the steady part (/min) | ` +
      `${n(run.achievedPerMinute)}, busiest ${s.windowSeconds} s ${run.busiestWindow}${verdict} | limit ${s.perMinute} | ${n(run.ratio)} | ${t?.target ?? '–'} | ${yes(t?.met)} |`
    );
  });
  if (s.cost) {
    const perMessage = find('shaping: storage transactions per message, one rule');
    const extra = find('shaping: extra transactions per held message');
    rows.push(
      `| Shaping: storage transactions per message, one rule, none held (accept + relay) | ${s.cost.open.accept.perMessage} + ${s.cost.open.relay.perMessage} = ${s.cost.open.perMessage} | – | – | ${perMessage?.target} | ${yes(perMessage?.met)} |`,
      `| Shaping: the same backlog with no rule (accept + relay) | ${s.cost.none.accept.perMessage} + ${s.cost.none.relay.perMessage} = ${s.cost.none.perMessage} | – | – | – | – |`,
      `| Shaping: extra transactions per held message (${s.cost.held.holds} holds of ${s.cost.messages}) | ${n(s.cost.extraPerHold)}${noHold(s)} | – | – | ${extra?.target} | ${yes(extra?.met)} |`,
    );
  }
  return rows;
}

function noHold(s: ShapingResult): string {
  if (!s.cost || s.cost.held.holds > 0) return '';
  return s.cost.held.enforced ? ' (no hold: every slot was waited for in the invocation)' : ' (nothing held: not enforced)';
}

/** The detail under the table: each run's counts and the operations of the two metered runs. */
export function shapingDetails(s: ShapingResult): string[] {
  const lines = [
    '',
    `Traffic shaping: one rule, ${s.domain} at ${s.perMinute}/min (RELAY_POLICY_JSON), hosts sharing one Azurite and one sink:`,
    '',
    '| Hosts | Posted (refused) | At sink | Steady part (s from first arrival) | Achieved (/min) | Busiest 60 s | Verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...s.runs.map(
      (run) =>
        `| ${run.instances} | ${run.posted} (${run.refused}${run.firstRefusal ? `: ${run.firstRefusal.slice(0, 80)}` : ''}) | ${run.arrived} | ${run.steady ? `${run.steady.fromSeconds}–${run.steady.toSeconds}` : '–'} | ${n(run.achievedPerMinute)} | ${run.busiestWindow} | ${run.verdict} |`,
    ),
  ];
  if (s.cost) {
    lines.push(
      '',
      `Shaping storage operations per message (a backlog of ${s.cost.messages} each; no rule; open: a ${s.cost.open.perMinute}/min rule, ${s.cost.open.holds} holds; held: ${s.cost.held.perMinute}/min, ${s.cost.held.holds} holds, first to last arrival ${s.cost.held.arrivalSeconds} s${s.cost.held.enforced ? '' : ', faster than the rule allows'}):`,
      '',
      '| Run | Operation | Per message |',
      '| --- | --- | --- |',
    );
    for (const [run, cost] of [
      ['no rule', s.cost.none],
      ['open', s.cost.open],
      ['held', s.cost.held],
    ] as const) {
      for (const [phase, phaseCost] of [
        ['accept', cost.accept],
        ['relay', cost.relay],
      ] as const) {
        for (const o of phaseCost.operations) lines.push(`| ${run} | ${phase}: ${o.service} ${o.operation} | ${o.perMessage} |`);
      }
      lines.push(`| ${run} | total | ${cost.perMessage} |`);
    }
  }
  return lines;
}
