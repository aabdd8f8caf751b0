// The List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058) header lines the relay puts in
// front of a composed message for one recipient. Header order does not matter (RFC 5322 3.6), so
// prepending the lines to the raw bytes leaves the composed message as it is.

/** Where a one-click unsubscribe for `token` is posted; the route of functions/unsubscribeOneClick.ts. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/api/v1/unsubscribe/${token}`;
}

/** RFC 5322 2.1.1: lines SHOULD stay within 78 characters and MUST stay within 998. */
const FOLD_AT = 78;
const MAX_LINE = 998;

/**
 * The two header lines, CRLF-terminated. A URL cannot be broken (RFC 2369 allows no whitespace inside
 * the angle brackets), so the list is folded between its elements only; one element longer than 78
 * characters stays on its line, and one that would pass 998 is refused.
 */
export function listUnsubscribeHeaders(urls: readonly string[]): string {
  if (urls.length === 0) throw new Error('List-Unsubscribe needs at least one URL');
  let text = 'List-Unsubscribe:';
  let line = text.length;
  urls.forEach((url, i) => {
    if (/[\s<>]/.test(url)) throw new Error('a List-Unsubscribe URL must not contain whitespace, "<" or ">"');
    const element = `<${url}>${i < urls.length - 1 ? ',' : ''}`;
    const fold = i > 0 && line + 1 + element.length > FOLD_AT;
    text += fold ? `\r\n ${element}` : ` ${element}`;
    line = fold ? 1 + element.length : line + 1 + element.length;
    if (line > MAX_LINE) throw new Error(`a List-Unsubscribe line would be ${line} characters long; at most ${MAX_LINE} are allowed`);
  });
  return `${text}\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`;
}
