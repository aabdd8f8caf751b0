// Plain-text output for a terminal: aligned columns, one row per item. `--json` prints the API's own
// JSON instead, for scripts.

export type Row = Record<string, string | number | null | undefined>;

export function table<T extends object>(rows: readonly T[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => cell((row as Row)[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => width(r[i]))));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v + ' '.repeat(widths[i] - width(v))))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

function cell(value: Row[string]): string {
  if (value === null || value === undefined) return '-';
  return String(value).replace(/\s+/g, ' ');
}

/** Columns are counted in terminal cells: CJK characters take two. */
function width(text: string): number {
  let cells = 0;
  for (const ch of text) cells += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return cells;
}

export function tagsText(tags: Record<string, string> | undefined): string {
  return Object.entries(tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
