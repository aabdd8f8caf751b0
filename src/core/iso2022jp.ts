// ISO-2022-JP (RFC 1468), for destinations whose handsets read nothing else: the text as 7-bit
// bytes that switch between ASCII and JIS X 0208 with escape sequences, and subjects as RFC 2047
// encoded-words. The codec is encoding-japanese (iconv-lite has no ISO-2022-JP encoder); what it
// would write beyond RFC 1468 (JIS X 0212, half-width katakana) is folded or refused here.
import Encoding from 'encoding-japanese';

/**
 * Characters with no place in JIS X 0208 that Japanese mailers send as their full-width twins, as
 * data: the yen sign, the em dash and the overline of Shift_JIS text that went through Unicode.
 */
const JIS_TWINS: Readonly<Record<string, string>> = {
  '\u00a5': '\uffe5', // ¥ -> ￥
  '\u2014': '\u2015', // — -> ―
  '\u203e': '\uffe3', // ‾ -> ￣
};
const TWIN_PATTERN = new RegExp(`[${Object.keys(JIS_TWINS).join('')}]`, 'g');

// Escape sequences of RFC 1468: ASCII, JIS X 0201 Roman, JIS X 0208-1978 and -1983. Any other
// (ESC ( I half-width kana, ESC $ ( D JIS X 0212) is ISO-2022-JP-1/-3, which handsets do not read.
const RFC1468_ESCAPES = new Set(['\u001b(B', '\u001b(J', '\u001b$@', '\u001b$B']);
const ESCAPE = /\u001b(?:\$\(.|\$.|\(.)/g;

export type Encoded = { ok: true; bytes: Buffer } | { ok: false; character: string };

/**
 * `text` as ISO-2022-JP bytes, after folding half-width katakana to full width (RFC 1468 has none)
 * and the JIS_TWINS; or the first character it cannot carry (an emoji, a character outside JIS X 0208).
 */
export function encodeIso2022Jp(text: string): Encoded {
  const folded = Encoding.toZenkanaCase(text.replace(TWIN_PATTERN, (c) => JIS_TWINS[c] ?? c));
  const bytes = convert(folded);
  if (bytes) return { ok: true, bytes };
  for (const character of folded) if (!convert(character)) return { ok: false, character };
  return { ok: false, character: folded }; // not reached: some character failed above
}

/** The subject as RFC 2047 "B" encoded-words in ISO-2022-JP, folded onto lines; undefined for plain ASCII. */
export function encodedWords(subject: string): Encoded | undefined {
  if (/^[\x20-\x7e]*$/.test(subject)) return undefined;
  const words: string[] = [];
  let chunk = '';
  let chunkBytes: Buffer | undefined;
  for (const character of subject) {
    const candidate = encodeIso2022Jp(chunk + character);
    if (!candidate.ok) return candidate;
    if (candidate.bytes.length > MAX_WORD_BYTES && chunkBytes) {
      words.push(word(chunkBytes));
      const alone = encodeIso2022Jp(character);
      if (!alone.ok) return alone;
      chunk = character;
      chunkBytes = alone.bytes;
    } else {
      chunk += character;
      chunkBytes = candidate.bytes;
    }
  }
  if (chunkBytes) words.push(word(chunkBytes));
  // each word starts and ends in ASCII, so each decodes on its own; the white space between is dropped
  return { ok: true, bytes: Buffer.from(words.join('\r\n '), 'latin1') };
}

/** A name and value for humans: `"😀" (U+1F600)`. */
export function describeCharacter(character: string): string {
  const points = [...character].map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
  return `"${character}" (${points.join(' ')})`;
}

// An encoded-word is at most 75 characters: "=?ISO-2022-JP?B?" and "?=" leave 57 for base64, 42 bytes.
const MAX_WORD_BYTES = 42;

function word(bytes: Buffer): string {
  return `=?ISO-2022-JP?B?${bytes.toString('base64')}?=`;
}

function convert(text: string): Buffer | undefined {
  let codes: number[];
  try {
    codes = Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE', type: 'array', fallback: 'error' });
  } catch {
    return undefined;
  }
  const bytes = Buffer.from(codes);
  const escapes = bytes.toString('latin1').match(ESCAPE) ?? [];
  return escapes.every((e) => RFC1468_ESCAPES.has(e)) ? bytes : undefined;
}
