// Reads the delivery policy for loadConfig: the file RELAY_POLICY_FILE names, else relay-policy.json
// at the app root when it exists, else the JSON in RELAY_POLICY_JSON, else the built-in presets. Two
// of them at once (both settings, or the setting and the file) is an error, not a silent choice.
// Checking it and applying presets is pure (src/core/policy); this module finds and reads the text.
// Problems go to loadConfig's list, each naming the file (or setting) and the JSON path.
//
// The app root is the package's own folder (the one holding host.json), found from this module's
// place in dist/, not the working directory: the Functions host does not promise one (on Flex
// Consumption a worker may keep the placeholder's /tmp/functions/standby/wwwroot after specialisation).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkPolicy } from './core/policy/check';
import { jsonErrorLocation } from './core/policy/jsonLocation';
import { builtInPolicy } from './core/policy/resolve';
import { EMPTY_POLICY, type DeliveryPolicy } from './core/policy/types';

export interface PolicySource {
  /** RELAY_POLICY_FILE */
  file?: string;
  /** RELAY_POLICY_JSON */
  json?: string;
  /** where relative paths and relay-policy.json are looked up; the package root by default */
  appRoot?: string;
}

export const POLICY_FILE_NAME = 'relay-policy.json';

/** dist/src/policyFile.js -> the package root */
export const APP_ROOT = path.resolve(__dirname, '..', '..');

/** The policy in effect; on a problem, pushes it to `problems` and returns an empty policy. */
export function readDeliveryPolicy(source: PolicySource, problems: string[]): DeliveryPolicy {
  const appRoot = source.appRoot ?? APP_ROOT;
  if (source.file !== undefined && source.json !== undefined) {
    problems.push('RELAY_POLICY_FILE and RELAY_POLICY_JSON are both set: keep the one the policy is in (a file, or the JSON in the setting)');
    return EMPTY_POLICY;
  }
  if (source.file !== undefined) return fromFile(path.resolve(appRoot, source.file), `RELAY_POLICY_FILE (${source.file})`, problems);
  const defaultFile = path.join(appRoot, POLICY_FILE_NAME);
  const shipped = existsSync(defaultFile);
  // Either would silently override the other: a setting made on purpose, or a file in the package.
  if (shipped && source.json !== undefined) {
    problems.push(`RELAY_POLICY_JSON is set and ${POLICY_FILE_NAME} is at the app root (${appRoot}) too: keep one (clear the setting, or leave the file out)`);
    return EMPTY_POLICY;
  }
  if (shipped) return fromFile(defaultFile, POLICY_FILE_NAME, problems);
  if (source.json !== undefined) return fromText(source.json, 'RELAY_POLICY_JSON', 'RELAY_POLICY_JSON', problems);
  return builtInPolicy();
}

function fromFile(file: string, label: string, problems: string[]): DeliveryPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? 'it cannot be read');
    problems.push(`${label}: ${file} cannot be read: ${why}`);
    return EMPTY_POLICY;
  }
  return fromText(text, label, file, problems);
}

function fromText(text: string, label: string, sourceName: string, problems: string[]): DeliveryPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    problems.push(`${label}: not JSON: ${jsonProblem(text.replace(/^\uFEFF/, ''), err)}`);
    return EMPTY_POLICY;
  }
  const checked = checkPolicy(json, label);
  if (!checked.ok) {
    problems.push(...checked.problems);
    return EMPTY_POLICY;
  }
  return { ...checked.policy, source: sourceName };
}

/** JSON.parse's words, without the position it may name, and the line and column of the place. */
export function jsonProblem(text: string, err: unknown): string {
  const words = (err instanceof Error ? err.message : String(err)).replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
  const at = jsonErrorLocation(text);
  return at ? `${words} (line ${at.line}, column ${at.column})` : words;
}
