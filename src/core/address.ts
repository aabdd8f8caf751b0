// Mailbox parsing and checking. The caller's forms ("a@b", "Name <a@b>", {address, name}) are parsed
// with nodemailer's own address parser; what we add is the strictness a relay needs: exactly one
// mailbox, no header injection, a domain that can be resolved, and a key Azure Tables can store.
//
// Three forms of one address: as the caller wrote it; `address`, its RFC 5322 form (a local part
// that is no plain dot-atom is quoted: `taro.@docomo.ne.jp` becomes `"taro."@docomo.ne.jp`), which
// headers, the envelope and the rows carry; and its key (recipientKey), which every table, token
// and VERP tag is made from, so that the quoted and unquoted spellings of one mailbox are one key.
import { domainToASCII, domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { allowsLegacyLocalPart, LEGACY_ADDRESS_DOMAINS } from './legacyAddresses';

export interface Mailbox {
  /** local@domain with the domain in its ASCII (xn--) form; the local part quoted when it is no dot-atom */
  address: string;
  /** display name, any Unicode; nodemailer encodes it on the wire */
  name?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// With the u flag this matches only a surrogate without its pair (a "\ud800" escape in the JSON):
// such a string has no UTF-8 form, so it would be mangled on the wire and in storage.
export const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;
// RFC 5322 dot-atom text, less the characters an Azure Table key cannot hold (/ \ # ?): the
// recipient address is the deliveries table's RowKey.
const LOCAL_PART = /^[A-Za-z0-9!$%&'*+=^_`{|}~-]+(\.[A-Za-z0-9!$%&'*+=^_`{|}~-]+)*$/;
// The same characters with dots anywhere (at least one character that is not a dot): the old
// carrier addresses of LEGACY_ADDRESS_DOMAINS.
const LEGACY_LOCAL_PART = /^\.*[A-Za-z0-9!$%&'*+=^_`{|}~-][A-Za-z0-9!$%&'*+=^_`{|}~.-]*$/;
// RFC 5322 quoted-string without folding white space: qtext, space, and quoted pairs.
const QUOTED_LOCAL_PART = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*)"$/;
// What a key holds as it is; anything else is percent-encoded inside a quoted key (see recipientKey).
const KEY_LOCAL_PART = /^[a-z0-9!$%&'*+=^_`{|}~.-]+$/;
const KEY_SAFE_CHAR = /[a-z0-9!$&'*+=^_`{|}~.-]/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_NAME_LENGTH = 256;

export function parseMailbox(input: unknown): ParseResult<Mailbox> {
  if (typeof input === 'string') return parseMailboxString(input);
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const { address, name, ...rest } = input as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) return fail(`unknown field "${unknownKeys[0]}" (an address object has "address" and "name")`);
    if (typeof address !== 'string') return fail('"address" must be a string');
    if (CONTROL_CHARS.test(address)) return fail('must not contain CR, LF or other control characters');
    if (name !== undefined && typeof name !== 'string') return fail('"name" must be a string');
    const checkedAddress = checkAddress(address.trim());
    if (!checkedAddress.ok) return checkedAddress;
    const checkedName = checkName(name);
    if (!checkedName.ok) return checkedName;
    return { ok: true, value: withName(checkedAddress.value, checkedName.value) };
  }
  return fail('must be an address string like "user@example.jp" or "Name <user@example.jp>", or {"address", "name"}');
}

function parseMailboxString(input: string): ParseResult<Mailbox> {
  if (CONTROL_CHARS.test(input)) return fail('must not contain CR, LF or other control characters');
  const trimmed = input.trim();
  if (trimmed === '') return fail('must not be empty');
  const parsed = addressparser(trimmed, { flatten: true });
  // addressparser folds a second "<addr>" into the name of the first, so count them ourselves
  if (parsed.length !== 1 || angleOpenings(trimmed).length > 1) return fail('must be exactly one address (use an array for several)');
  const mailbox = parsed[0];
  // addressparser folds text after "<addr>" into the name; a well-formed "Name <addr>" ends with ">".
  if (trimmed.includes('<') && !trimmed.endsWith('>')) return fail('has text after the closing ">"');
  if (!mailbox?.address) return fail(`"${trimmed}" is not an email address (expected "user@example.jp" or "Name <user@example.jp>")`);
  // Without "<...>" addressparser still finds a name: "john smith@example.jp" would go to smith@example.jp.
  // addressparser drops the quotes of a quoted local part ("taro."@x becomes taro.@x), so a quoted
  // address is read from the text itself, and checkAddress says what is wrong with its quotes; the
  // name still comes from addressparser.
  const written = trimmed.includes('<') ? angleAddress(trimmed) : trimmed;
  const quoted = written.includes('"');
  if (!trimmed.includes('<') && !quoted && mailbox.address !== trimmed) {
    return fail(`"${trimmed}" is not an email address: without "<...>" the whole text must be the address (write "Name <user@example.jp>" to give a name)`);
  }
  const checkedAddress = checkAddress(quoted ? written : mailbox.address);
  if (!checkedAddress.ok) return checkedAddress;
  const checkedName = checkName(mailbox.name || undefined);
  if (!checkedName.ok) return checkedName;
  return { ok: true, value: withName(checkedAddress.value, checkedName.value) };
}

/** Checks local@domain and returns its RFC 5322 form: the domain in ASCII, the local part quoted when it must be. */
export function checkAddress(address: string): ParseResult<string> {
  if (address === '') return fail('has no address (expected "user@example.jp")');
  if (CONTROL_CHARS.test(address)) return fail('must not contain CR, LF or other control characters');
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return fail(`"${address}" is not an email address (expected "user@example.jp")`);
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return fail('the part before "@" is longer than 64 characters');
  if (/[^\x20-\x7e]/.test(local)) {
    return fail('the part before "@" must be ASCII (internationalised local parts need SMTPUTF8, which smart hosts do not all offer)');
  }
  const asciiDomain = toAsciiDomain(domain);
  const localValue = readLocalPart(local, address, asciiDomain);
  if (!localValue.ok) return localValue;
  if (asciiDomain === undefined) return fail(`"${domain}" is not a valid domain name`);
  const wire = wireLocalPart(localValue.value);
  if (wire.length > 64) return fail('the part before "@" is longer than 64 characters once quoted');
  const result = `${wire}@${asciiDomain}`;
  if (result.length > 254) return fail('is longer than 254 characters');
  return { ok: true, value: result };
}

/** The local part's value: a quoted string unquoted, a dot-atom (or a carrier's legacy form) as it is. */
function readLocalPart(local: string, address: string, domain: string | undefined): ParseResult<string> {
  if (local.startsWith('"')) {
    const quoted = QUOTED_LOCAL_PART.exec(local);
    if (!quoted) {
      return fail(
        `the quoted part before "@" in "${address}" is not a valid quoted string (it must be one "..." with no text after it; write \\" and \\\\ for a quote or backslash inside)`,
      );
    }
    const value = unquote(quoted[1] ?? '');
    if (value === '') return fail(`the quoted part before "@" in "${address}" is empty`);
    // RFC 5322 allows them, but the SMTP client rewrites them in the envelope (to a space): another mailbox
    if (/[<>]/.test(value)) return fail(`the quoted part before "@" in "${address}" must not contain "<" or ">"`);
    return { ok: true, value };
  }
  if (LOCAL_PART.test(local)) return { ok: true, value: local };
  if (LEGACY_LOCAL_PART.test(local)) {
    // without a valid domain the domain is what is wrong (checkAddress says so next)
    if (domain === undefined || allowsLegacyLocalPart(domain)) return { ok: true, value: local };
    const carriers = LEGACY_ADDRESS_DOMAINS.map((d) => d.domain).join(', ');
    return fail(
      `the part before "@" in "${address}" is not valid: a dot at its start or end, or two dots in a row, is accepted only for the old carrier addresses of ${carriers}; elsewhere quote it: "${local}"@${domain}`,
    );
  }
  if (local.includes('"')) return fail(`the part before "@" in "${address}" is not valid: a quoted local part must be quoted as a whole ("...")`);
  return fail(`the part before "@" in "${address}" is not valid (letters, digits and !$%&'*+=^_\`{|}~- separated by single dots; / \\ # ? are not accepted)`);
}

function unquote(content: string): string {
  return content.replace(/\\([\x20-\x7e])/g, '$1');
}

/** The local part as RFC 5322 writes it: unquoted when it is one of the dot-atoms the relay accepts bare, quoted otherwise. */
function wireLocalPart(value: string): string {
  return LOCAL_PART.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export function toAsciiDomain(domain: string): string | undefined {
  if (domain.startsWith('[')) return undefined; // address literals are not relayed
  const lower = domain.toLowerCase();
  const ascii = domainToASCII(lower);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  // UTS 46 drops invisible characters (U+200B, U+00AD) and folds look-alikes (fullwidth letters), so
  // "example\u200b.com" would name example.com: each label must be given as its A-label or its U-label.
  const given = lower.normalize('NFC').split('.');
  const unicode = domainToUnicode(ascii).split('.');
  if (given.length !== labels.length || given.some((label, i) => label !== labels[i] && label !== unicode[i])) return undefined;
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l))) return undefined;
  if (/^\d+$/.test(labels.at(-1) ?? '')) return undefined; // a bare IP address is not a domain
  return ascii;
}

function checkName(name: string | undefined): ParseResult<string | undefined> {
  if (name === undefined) return { ok: true, value: undefined };
  if (CONTROL_CHARS.test(name)) return fail('the display name must not contain CR, LF or other control characters');
  if (UNPAIRED_SURROGATE.test(name)) return fail('the display name contains an unpaired surrogate (a \\uD800-\\uDFFF escape without its pair)');
  const trimmed = name.trim();
  if (trimmed.length > MAX_NAME_LENGTH) return fail(`the display name is longer than ${MAX_NAME_LENGTH} characters`);
  return { ok: true, value: trimmed || undefined };
}

/** Where each "<" that opens an angle address stands, not counting those inside a quoted display name. */
function angleOpenings(text: string): number[] {
  const openings: number[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') openings.push(i);
  }
  return openings;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * The key a recipient is stored and compared under, made from any spelling of the address (quoted
 * or not): the local part's value and the domain in lower case. A value of the usual characters is
 * the key as it is (`taro.@docomo.ne.jp`, and every key of earlier versions); any other is quoted,
 * with every character an Azure Table key, a token or a URL path cannot hold percent-encoded
 * (`"a%2fb%20c"@example.jp`), so a key never holds / \ # ?, a control character, a space or a second
 * "@". Reversible: keyToAddress gives the address back.
 */
export function recipientKey(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, Math.max(at, 0));
  const domain = address.slice(at + 1).toLowerCase();
  const quoted = local.length >= 2 && local.startsWith('"') && local.endsWith('"');
  const value = (quoted ? unquote(local.slice(1, -1)) : local).toLowerCase();
  if (KEY_LOCAL_PART.test(value)) return `${value}@${domain}`;
  const encoded = [...value].map((c) => (KEY_SAFE_CHAR.test(c) ? c : percentEncoded(c))).join('');
  return `"${encoded}"@${domain}`;
}

/** The address (RFC 5322 form, lower case) a key was made from. */
export function keyToAddress(key: string): string {
  const at = key.lastIndexOf('@');
  const local = key.slice(0, Math.max(at, 0));
  const value = local.startsWith('"') && local.endsWith('"') && local.length >= 2 ? decodeKeyPart(local.slice(1, -1)) : local;
  return `${wireLocalPart(value)}@${key.slice(at + 1)}`;
}

/**
 * How a key is shown to an operator: as it is when checkAddress takes it back as written (every key
 * of a plain address, `taro.@docomo.ne.jp`), else as its quoted address (`"taro."@example.jp`,
 * `"a/b"@example.jp`), so that whatever the list shows can be given to the endpoints again.
 */
export function shownAddress(key: string): string {
  const at = key.lastIndexOf('@');
  const local = key.slice(0, Math.max(at, 0));
  const unquotedWorks = LOCAL_PART.test(local) || (LEGACY_LOCAL_PART.test(local) && allowsLegacyLocalPart(key.slice(at + 1)));
  return unquotedWorks ? key : keyToAddress(key);
}

function percentEncoded(char: string): string {
  return [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function decodeKeyPart(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded; // not a key this module made: taken as written
  }
}

/** The text between the "<" that opens the angle address (outside a quoted name) and the final ">". */
function angleAddress(text: string): string {
  const [open] = angleOpenings(text);
  return open === undefined ? text : text.slice(open + 1, text.endsWith('>') ? -1 : undefined).trim();
}

function withName(address: string, name: string | undefined): Mailbox {
  return name === undefined ? { address } : { address, name };
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
