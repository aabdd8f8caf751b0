// Route templates as the Functions host (ASP.NET Core routing) understands them, e.g.
// "items/{id:int}/notes/{name?}", "files/{*path}", "orders/{id:guid}". Each segment is a literal or
// one parameter; literals compare case-insensitively; constraints are checked on the decoded value.
// A path with an encoded slash (%2F) in any segment matches nothing: Azure answers such requests 404.

type Constraint = (value: string) => boolean;

interface LiteralSegment {
  kind: 'literal';
  text: string;
}
interface ParameterSegment {
  kind: 'parameter';
  name: string;
  constraints: Constraint[];
  optional: boolean;
  defaultValue?: string;
  catchAll: boolean;
}
type Segment = LiteralSegment | ParameterSegment;

export interface RouteTemplate {
  readonly text: string;
  readonly segments: readonly Segment[];
}

/** Parses "prefix/route"; throws an Error that names the template when it is not supported. */
export function parseRouteTemplate(text: string): RouteTemplate {
  const trimmed = text.replace(/^[/~]+/, '').replace(/\/+$/, '');
  const segments: Segment[] = [];
  for (const raw of trimmed === '' ? [] : trimmed.split('/')) {
    // inside a parameter, "{{" and "}}" stand for literal braces (e.g. in a regex constraint)
    const unescaped = raw.replace(/\{\{|\}\}/g, '');
    if (unescaped.startsWith('{') && unescaped.endsWith('}') && unescaped.lastIndexOf('{') === 0 && unescaped.indexOf('}') === unescaped.length - 1) {
      segments.push(parseParameter(raw.slice(1, -1).replace(/\{\{/g, '{').replace(/\}\}/g, '}'), text));
    } else if (raw.includes('{') || raw.includes('}')) {
      throw new Error(`Route "${text}": a segment must be a literal or exactly one {parameter} ("${raw}" is not supported locally)`);
    } else if (raw === '') {
      throw new Error(`Route "${text}" has an empty segment`);
    } else {
      segments.push({ kind: 'literal', text: raw.toLowerCase() });
    }
  }
  segments.forEach((segment, index) => {
    if (segment.kind === 'parameter' && segment.catchAll && index !== segments.length - 1) {
      throw new Error(`Route "${text}": a catch-all parameter must be the last segment`);
    }
  });
  return { text, segments };
}

/** The route values when `path` (no query string, still percent-encoded) matches, else undefined. */
export function matchRoute(template: RouteTemplate, path: string): Record<string, string> | undefined {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.some((part) => /%2f/i.test(part))) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < template.segments.length; i++) {
    const segment = template.segments[i];
    if (segment.kind === 'parameter' && segment.catchAll) {
      const rest = parts.slice(i).map(decode);
      if (rest.some((p) => p === undefined)) return undefined;
      const value = rest.join('/');
      if (value !== '') {
        if (!segment.constraints.every((check) => check(value))) return undefined;
        values[segment.name] = value;
      } else if (segment.defaultValue !== undefined) {
        values[segment.name] = segment.defaultValue;
      }
      return values;
    }
    const part = parts[i];
    if (part === undefined) {
      if (segment.kind === 'literal' || (!segment.optional && segment.defaultValue === undefined)) return undefined;
      if (segment.defaultValue !== undefined) values[segment.name] = segment.defaultValue;
      continue;
    }
    const decoded = decode(part);
    if (decoded === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (decoded.toLowerCase() !== segment.text) return undefined;
    } else {
      if (!segment.constraints.every((check) => check(decoded))) return undefined;
      values[segment.name] = decoded;
    }
  }
  return parts.length > template.segments.length ? undefined : values;
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function parseParameter(inner: string, template: string): ParameterSegment {
  let body = inner;
  const catchAll = body.startsWith('*');
  body = body.replace(/^\*{1,2}/, '');
  const nameMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body);
  if (!nameMatch) throw new Error(`Route "${template}": "{${inner}}" has no valid parameter name`);
  const name = nameMatch[0];
  let rest = body.slice(name.length);
  const constraints: Constraint[] = [];
  while (rest.startsWith(':')) {
    const { constraint, remainder } = parseConstraint(rest.slice(1), template);
    constraints.push(constraint);
    rest = remainder;
  }
  let optional = false;
  let defaultValue: string | undefined;
  if (rest === '?') optional = true;
  else if (rest.startsWith('=')) defaultValue = rest.slice(1);
  else if (rest !== '') throw new Error(`Route "${template}": cannot parse "{${inner}}"`);
  return { kind: 'parameter', name, constraints, optional, defaultValue, catchAll };
}

function parseConstraint(text: string, template: string): { constraint: Constraint; remainder: string } {
  const nameMatch = /^[A-Za-z]+/.exec(text);
  if (!nameMatch) throw new Error(`Route "${template}": bad constraint near "${text}"`);
  const name = nameMatch[0].toLowerCase();
  let index = nameMatch[0].length;
  let argument: string | undefined;
  if (text[index] === '(') {
    let depth = 0;
    const start = index + 1;
    for (; index < text.length; index++) {
      if (text[index] === '(') depth++;
      else if (text[index] === ')' && --depth === 0) break;
    }
    if (depth !== 0) throw new Error(`Route "${template}": unbalanced parentheses in constraint "${name}"`);
    argument = text.slice(start, index);
    index++;
  }
  return { constraint: makeConstraint(name, argument, template), remainder: text.slice(index) };
}

function makeConstraint(name: string, argument: string | undefined, template: string): Constraint {
  const numbers = (argument ?? '').split(',').map((n) => Number(n.trim()));
  const needs = (count: number) => {
    if (argument === undefined || numbers.length !== count || numbers.some((n) => !Number.isFinite(n))) {
      throw new Error(`Route "${template}": constraint "${name}" needs ${count} number(s)`);
    }
  };
  const integerIn = (min: bigint, max: bigint) => (v: string) => /^-?\d+$/.test(v) && BigInt(v) >= min && BigInt(v) <= max;
  const decimal = (v: string) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) && Number.isFinite(Number(v));
  switch (name) {
    case 'int':
      return integerIn(-(2n ** 31n), 2n ** 31n - 1n);
    case 'long':
      return integerIn(-(2n ** 63n), 2n ** 63n - 1n);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'decimal':
    case 'double':
    case 'float':
      return decimal;
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength':
      needs(1);
      return (v) => v.length >= numbers[0];
    case 'maxlength':
      needs(1);
      return (v) => v.length <= numbers[0];
    case 'length':
      if (numbers.length === 1) {
        needs(1);
        return (v) => v.length === numbers[0];
      }
      needs(2);
      return (v) => v.length >= numbers[0] && v.length <= numbers[1];
    case 'min':
      needs(1);
      return (v) => /^-?\d+$/.test(v) && Number(v) >= numbers[0];
    case 'max':
      needs(1);
      return (v) => /^-?\d+$/.test(v) && Number(v) <= numbers[0];
    case 'range':
      needs(2);
      return (v) => /^-?\d+$/.test(v) && Number(v) >= numbers[0] && Number(v) <= numbers[1];
    case 'regex': {
      if (argument === undefined) throw new Error(`Route "${template}": constraint "regex" needs a pattern`);
      const pattern = new RegExp(argument, 'i'); // ASP.NET matches case-insensitively and unanchored
      return (v) => pattern.test(v);
    }
    default:
      throw new Error(`Route "${template}": unknown route constraint "${name}"`);
  }
}
