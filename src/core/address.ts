// Mailbox parsing and checking. The caller's forms ("a@b", "Name <a@b>", {address, name}) are parsed
// with nodemailer's own address parser; what we add is the strictness a relay needs: exactly one
// mailbox, no header injection, a domain that can be resolved, and a key Azure Tables can store.
import { domainToASCII, domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';

export interface Mailbox {
  /** local@domain with the domain in its ASCII (xn--) form */
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
  if (parsed.length !== 1 || angleAddressCount(trimmed) > 1) return fail('must be exactly one address (use an array for several)');
  const mailbox = parsed[0];
  // addressparser folds text after "<addr>" into the name; a well-formed "Name <addr>" ends with ">".
  if (trimmed.includes('<') && !trimmed.endsWith('>')) return fail('has text after the closing ">"');
  if (!mailbox?.address) return fail(`"${trimmed}" is not an email address (expected "user@example.jp" or "Name <user@example.jp>")`);
  // Without "<...>" addressparser still finds a name: "john smith@example.jp" would go to smith@example.jp.
  if (!trimmed.includes('<') && mailbox.address !== trimmed) {
    return fail(`"${trimmed}" is not an email address: without "<...>" the whole text must be the address (write "Name <user@example.jp>" to give a name)`);
  }
  const checkedAddress = checkAddress(mailbox.address);
  if (!checkedAddress.ok) return checkedAddress;
  const checkedName = checkName(mailbox.name || undefined);
  if (!checkedName.ok) return checkedName;
  return { ok: true, value: withName(checkedAddress.value, checkedName.value) };
}

/** Checks local@domain and returns it with the domain in ASCII form. */
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
  if (!LOCAL_PART.test(local)) {
    return fail(`the part before "@" in "${address}" is not valid (letters, digits and !$%&'*+=^_\`{|}~- separated by single dots; / \\ # ? are not accepted)`);
  }
  const asciiDomain = toAsciiDomain(domain);
  if (asciiDomain === undefined) return fail(`"${domain}" is not a valid domain name`);
  const result = `${local}@${asciiDomain}`;
  if (result.length > 254) return fail('is longer than 254 characters');
  return { ok: true, value: result };
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

/** How many "<" open an angle address, not counting those inside a quoted display name. */
function angleAddressCount(text: string): number {
  let count = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') count++;
  }
  return count;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** The key a recipient is stored and compared under: the whole address in lower case. */
export function recipientKey(address: string): string {
  return address.toLowerCase();
}

function withName(address: string, name: string | undefined): Mailbox {
  return name === undefined ? { address } : { address, name };
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
