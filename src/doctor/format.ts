// The doctor's output: a table, one line per check (check · result · found · fix), or JSON.
import type { CheckResult } from './check';

const COLUMNS = ['check', 'result', 'found', 'fix'] as const;
/** a found text longer than this is not padded, so one long record does not push every fix right */
const FOUND_PAD_LIMIT = 70;

export function resultTable(results: readonly CheckResult[]): string {
  const cells = results.map((r) => COLUMNS.map((c) => oneLine(r[c]) || '-'));
  const widths = COLUMNS.map((c, i) => Math.min(Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)), i === 2 ? FOUND_PAD_LIMIT : Infinity));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

export function summary(results: readonly CheckResult[]): string {
  const count = (v: CheckResult['result']) => results.filter((r) => r.result === v).length;
  return `${results.length} checks: ${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
