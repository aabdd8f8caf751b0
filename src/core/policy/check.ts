// Checking a policy file: the JSON Schema (ajv) for its keys and types, then resolve.ts for the
// formats, references and presets. Every problem is reported at once, each as
// "<source>: <JSON path>: <what is wrong>", so one start-up shows them all.
import Ajv, { type ErrorObject } from 'ajv';
import { resolvePolicy } from './resolve';
import { LATER_KEYS, POLICY_SCHEMA } from './schema';
import type { DeliveryPolicy } from './types';

export type PolicyCheck = { ok: true; policy: DeliveryPolicy } | { ok: false; problems: string[] };

let validate: ReturnType<Ajv['compile']> | undefined;

function schemaValidator(): ReturnType<Ajv['compile']> {
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addVocabulary(['x-problem', 'x-unknown']);
    validate = ajv.compile(POLICY_SCHEMA);
  }
  return validate;
}

/** Checks the parsed file and resolves it; `source` names it in every problem ("relay-policy.json"). */
export function checkPolicy(json: unknown, source: string): PolicyCheck {
  const valid = schemaValidator();
  const problems = valid(json) ? [] : schemaProblems(valid.errors ?? []);
  // The schema's problems and the formats' problems together; resolve skips what has the wrong type.
  const resolved = resolvePolicy(json, source);
  const all = [...problems, ...resolved.problems.map((p) => `${p.path || '/'}: ${p.problem}`)];
  if (all.length > 0) return { ok: false, problems: [...new Set(all)].map((p) => `${source}: ${p}`) };
  return { ok: true, policy: resolved.policy };
}

function schemaProblems(errors: readonly ErrorObject[]): string[] {
  const found: string[] = [];
  for (const error of errors) {
    const problem = describe(error);
    if (problem) found.push(`${error.instancePath || '/'}: ${problem}`);
  }
  return found;
}

function describe(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  if (error.keyword === 'propertyNames') return undefined; // the inner error, with the name, says it
  const words = typeof parent['x-problem'] === 'string' ? parent['x-problem'] : undefined;
  if (typeof params.propertyName === 'string') return `${JSON.stringify(params.propertyName)} ${words ?? 'is not a valid name'}`;
  switch (error.keyword) {
    case 'additionalProperties':
      return unknownKey(String(params.additionalProperty), parent);
    case 'required':
      return `"${String(params.missingProperty)}" is missing`;
    case 'type':
      return `${shown(error.data)} must be ${typeWords(params.type)}`;
    case 'enum':
      return `${shown(error.data)} is not one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minimum':
      return `${shown(error.data)} is too small: at least ${String(params.limit)}`;
    case 'minItems':
      return `the list is empty: give at least ${String(params.limit)}`;
    case 'minLength':
      return 'is empty';
    case 'pattern':
      return `${shown(error.data)} ${words ?? `does not match ${String(params.pattern)}`}`;
    default:
      return `${shown(error.data)} ${error.message ?? 'is not valid'}`;
  }
}

function unknownKey(key: string, parent: Record<string, unknown>): string {
  const later = Object.hasOwn(LATER_KEYS, key) ? LATER_KEYS[key] : undefined;
  if (later) return `"${key}" is not supported in this version (${later})`;
  if (typeof parent['x-unknown'] === 'string') return `"${key}" is not allowed here: ${parent['x-unknown']}`;
  const properties = typeof parent.properties === 'object' && parent.properties !== null ? parent.properties : {};
  const known = Object.keys(properties).filter((k) => k !== '$schema');
  return `unknown key "${key}"${known.length ? ` (known keys: ${known.join(', ')})` : ''}`;
}

function typeWords(type: unknown): string {
  const words: Record<string, string> = {
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    object: 'an object',
    array: 'a list',
  };
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((t) => words[String(t)] ?? String(t)).join(' or ');
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
