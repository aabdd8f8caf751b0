// How docs/settings.md's table shows a setting's spec (src/config.ts SETTINGS): the test that
// holds the table to the spec, and whoever regenerates the table, use these same cells.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS, type SettingSpec, type SettingType } from '../../src/config';

export function allowedCell(type: SettingType): string {
  switch (type.kind) {
    case 'text':
      return 'text';
    case 'int':
      return `${type.min} to ${type.max}`;
    case 'enum':
      return orList(type.values.map((v) => `\`${v}\``));
    case 'decimal':
      return `${type.min} to ${type.max}, fractions allowed`;
    case 'domain-list':
      return 'domain names, comma-separated';
    case 'domain':
      return 'a domain name';
    case 'base-url':
      return '`https://` URL';
    case 'secret':
      return `text, at least ${type.minLength} characters`;
    case 'https-uri':
      return '`https://` service URI';
    case 'guid':
      return 'a GUID';
    case 'name':
      return type.rule;
  }
}

export function defaultCell(spec: SettingSpec): string {
  if (spec.required) return spec.localDefault ? `**required** (locally \`${spec.localDefault}\`)` : '**required**';
  if (spec.default !== undefined) return `\`${spec.default}\``;
  if (spec.localDefault === undefined) return '—';
  return spec.secret ? '— (locally a development value)' : `— (locally \`${spec.localDefault}\`)`;
}

export function descriptionCell(spec: SettingSpec): string {
  return spec.scope === 'local' ? `${spec.description} *(local host only)*` : spec.description;
}

/** The table row for `spec`, as docs/settings.md has it. */
export function settingRow(spec: SettingSpec): string {
  return `| \`${spec.name}\` | ${defaultCell(spec)} | ${allowedCell(spec.type)} | ${descriptionCell(spec)} |`;
}

function orList(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values.join('');
}

/** Rewrites the settings table in docs/settings.md from the spec: `node dist/test/support/settingsDoc.js`. */
function writeSettingsTable(): void {
  const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'settings.md');
  const page = readFileSync(file, 'utf8');
  const rows = SETTINGS.map((spec) => settingRow(spec));
  const table = /^\| `[^\n]*\n(?:\| `[^\n]*\n)*/m;
  if (!table.test(page)) throw new Error(`${file} has no settings table to rewrite`);
  writeFileSync(file, page.replace(table, `${rows.join('\n')}\n`));
  console.log(`${file}: ${rows.length} settings`);
}

if (require.main === module) writeSettingsTable();
