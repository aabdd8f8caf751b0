// The settings the local host runs with. Precedence, highest first: an environment variable, then
// local.settings.json "Values" (as Core Tools would load it), then the catalogue's localDefault, then
// its default. An environment variable that is set but empty counts as absent, as in loadConfig.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS, type SettingSpec } from '../config';

export const localSettingsFileName = 'local.settings.json';

export function loadLocalSettings(projectRoot: string, env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const merged = localDefaults();
  Object.assign(merged, readLocalSettingsValues(path.join(projectRoot, localSettingsFileName)));
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string' && value.trim() !== '') merged[name] = value;
  }
  return merged;
}

/** What the local host runs with when neither the environment nor local.settings.json sets a value. */
export function localDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {};
  const catalogue: readonly SettingSpec[] = SETTINGS;
  for (const spec of catalogue) {
    const fallback = spec.localDefault ?? spec.default;
    if (fallback !== undefined) defaults[spec.name] = fallback;
  }
  return defaults;
}

/** The file's Values as strings; {} when the file does not exist. Throws an Error naming the file otherwise. */
export function readLocalSettingsValues(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isPlainObject(parsed)) throw new Error(`${file} must contain a JSON object with a "Values" object`);
  if (parsed.IsEncrypted === true) throw new Error(`${file} is encrypted ("IsEncrypted": true); the local host reads plain values only`);
  const values = parsed.Values;
  if (values === undefined) return {};
  if (!isPlainObject(values)) throw new Error(`${file}: "Values" must be an object of setting names to strings`);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') result[name] = value;
    // Core Tools reads Values as strings; a bare number or boolean is taken as its text
    else if (typeof value === 'number' || typeof value === 'boolean') result[name] = String(value);
    else if (value !== null) throw new Error(`${file}: Values.${name} must be a string`);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
