// The request body as JSON, strictly: UTF-8 (RFC 8259) and no name given twice in one object. JSON.parse
// alone turns bad bytes into U+FFFD and keeps the last of two equal names, so a caller's mistake (or a
// smuggled second "to") would be sent instead of refused. Its error messages also quote the body, and
// they reach the answer and the log; ours give a position only.
import { isUtf8 } from 'node:buffer';
import type { FieldError } from '../errors';
import type { Validated } from './sendRequest';

const BYTE_ORDER_MARK = '\ufeff';
const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const STRING_RUN = /[^"\\\u0000-\u001f]*/y; // characters a JSON string may hold without an escape
const HEX4 = /^[0-9a-fA-F]{4}$/;

export function parseJsonBody(body: Buffer): Validated<unknown> {
  if (!isUtf8(body)) {
    return invalid('(body)', `is not valid UTF-8 (the first bad byte is at offset ${firstInvalidUtf8Byte(body)}); JSON must be UTF-8`);
  }
  let text = body.toString('utf8');
  // RFC 8259 lets a parser ignore a byte order mark; some Windows tools write one.
  if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
  const problem = findJsonProblem(text);
  if (problem) return { ok: false, errors: [problem] };
  return { ok: true, value: JSON.parse(text) };
}

interface Container {
  kind: 'object' | 'array';
  /** the field path of the container itself, "" for the body */
  path: string;
  names: Set<string>;
  index: number;
}

/** Checks the syntax and duplicate names without recursion, so any depth is safe. */
function findJsonProblem(text: string): FieldError | undefined {
  const open: Container[] = [];
  let pos = 0;
  let path = '';
  const syntax = (what: string): FieldError => ({
    field: '(body)',
    message: `is not valid JSON: ${pos >= text.length ? 'it ends too early' : what} at ${lineAndColumn(text, pos)}`,
  });
  const skipWhitespace = () => {
    WHITESPACE.lastIndex = pos;
    WHITESPACE.test(text);
    pos = WHITESPACE.lastIndex;
  };
  // Reads `"name": ` inside an object; returns a problem, or sets `path` to the member's path.
  const member = (container: Container): FieldError | undefined => {
    skipWhitespace();
    if (text[pos] !== '"') return syntax('a name in double quotes was expected');
    const end = stringEnd(text, pos);
    if (typeof end !== 'number') {
      pos = end.at;
      return syntax(end.what);
    }
    const raw = text.slice(pos + 1, end - 1);
    const name = raw.includes('\\') ? (JSON.parse(text.slice(pos, end)) as string) : raw;
    path = memberPath(container.path, name);
    if (container.names.has(name)) return { field: path, message: 'is given twice in the same object (duplicate names are refused, not overwritten)' };
    container.names.add(name);
    pos = end;
    skipWhitespace();
    if (text[pos] !== ':') return syntax('":" was expected after the name');
    pos++;
    return undefined;
  };

  for (;;) {
    // A value starts here.
    skipWhitespace();
    const c = text[pos];
    if (c === '{' || c === '[') {
      const container: Container = { kind: c === '{' ? 'object' : 'array', path, names: new Set(), index: 0 };
      pos++;
      skipWhitespace();
      if (text[pos] === (c === '{' ? '}' : ']')) pos++;
      else {
        open.push(container);
        if (container.kind === 'object') {
          const problem = member(container);
          if (problem) return problem;
        } else path = `${container.path}[0]`;
        continue;
      }
    } else if (c === '"') {
      const end = stringEnd(text, pos);
      if (typeof end !== 'number') {
        pos = end.at;
        return syntax(end.what);
      }
      pos = end;
    } else if (c === 't' || c === 'f' || c === 'n') {
      const literal = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      if (!text.startsWith(literal, pos)) return syntax('an unknown word was found');
      pos += literal.length;
    } else {
      NUMBER.lastIndex = pos;
      if (!NUMBER.test(text)) return syntax('a value was expected');
      pos = NUMBER.lastIndex;
    }
    // A value ended: close containers until one continues with ",".
    for (;;) {
      skipWhitespace();
      const container = open[open.length - 1];
      if (!container) return pos === text.length ? undefined : syntax('there is more after the JSON value');
      const close = container.kind === 'object' ? '}' : ']';
      if (text[pos] === close) {
        pos++;
        open.pop();
        continue;
      }
      if (text[pos] !== ',') return syntax(`"," or "${close}" was expected`);
      pos++;
      container.index++;
      if (container.kind === 'array') path = `${container.path}[${container.index}]`;
      else {
        const problem = member(container);
        if (problem) return problem;
      }
      break;
    }
  }
}

/** The path of a member as the validator names fields: "tags.a", "attachments[0].filename", '""' for an empty top-level name. */
function memberPath(parent: string, name: string): string {
  if (parent === '') return name === '' ? '""' : name;
  return `${parent}.${name}`;
}

/** Where the string starting at `start` (a '"') ends, just after its closing quote; or what is wrong. */
function stringEnd(text: string, start: number): number | { at: number; what: string } {
  let i = start + 1;
  for (;;) {
    STRING_RUN.lastIndex = i;
    STRING_RUN.test(text);
    i = STRING_RUN.lastIndex;
    const c = text[i];
    if (c === '"') return i + 1;
    if (c === undefined) return { at: i, what: 'a string is not closed' };
    if (c !== '\\') return { at: i, what: 'a control character must be escaped in a string' };
    const escape = text[i + 1];
    if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 2;
    else if (escape === 'u' && HEX4.test(text.slice(i + 2, i + 6))) i += 6;
    else return { at: i, what: 'a string has an invalid escape' };
  }
}

function lineAndColumn(text: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${pos - lineStart + 1}`;
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (the buffer is known to have one). */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0; // i < bytes.length
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    let codePoint = lead & (0x7f >> length);
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k] ?? 0; // i + length <= bytes.length
      if ((next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    const shortest = length === 2 ? 0x80 : length === 3 ? 0x800 : 0x10000;
    if (codePoint < shortest || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += length;
  }
  return bytes.length;
}

function invalid(field: string, message: string): Validated<never> {
  return { ok: false, errors: [{ field, message }] };
}
