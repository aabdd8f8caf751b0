// The pages of the one-click unsubscribe link: people open it in a browser, mail clients post to it.
// Small, self-contained HTML (no external resource, nothing a link scanner could follow), every value
// escaped; English with a Japanese line, as the relay's recipients are often in Japan. Errors come as
// a page too, or as problem+json when the caller asks for JSON.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { UnsubscribeLink } from '../relay/unsubscribe';
import { problemFor } from '../errors';
import { problemResponse } from './problemResponse';

const HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  // the form posts to this same URL; nothing else is loaded, framed or sent a Referer with the token
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(status: number, title: string, body: string): HttpResponseInit {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;line-height:1.5}button{font-size:1em;padding:.5em 1.2em}</style>
</head>
<body>
${body}
</body>
</html>
`;
  return { status, headers: HEADERS, body: html };
}

/** GET: what the link is about, and a button that posts the one-click form (RFC 8058's body). */
export function confirmPage(link: UnsubscribeLink): HttpResponseInit {
  const address = escapeHtml(link.recipient);
  const sender = escapeHtml(link.senderDomain);
  return page(
    200,
    'Unsubscribe',
    `<h1>Unsubscribe</h1>
<p>Stop mail from <strong>${sender}</strong> to <strong>${address}</strong>?</p>
<p lang="ja">${sender} から ${address} へのメール配信を停止しますか？</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe / 配信停止</button>
</form>`,
  );
}

/** POST: done (also when it had been done before). */
export function unsubscribedPage(link: UnsubscribeLink): HttpResponseInit {
  const address = escapeHtml(link.recipient);
  const sender = escapeHtml(link.senderDomain);
  return page(
    200,
    'Unsubscribed',
    `<h1>Unsubscribed</h1>
<p><strong>${address}</strong> gets no more mail from <strong>${sender}</strong> through this relay.</p>
<p lang="ja">${address} への ${sender} からのメール配信を停止しました。</p>`,
  );
}

/** An error as a page, or as problem+json for a caller that asks for JSON; logged as problemResponse logs it. */
export function unsubscribeErrorResponse(err: unknown, request: HttpRequest, context: InvocationContext): HttpResponseInit {
  const answer = problemResponse(err, context);
  if (/json/i.test(request.headers.get('accept') ?? '')) return answer;
  const problem = problemFor(err);
  const retry: Record<string, string> = problem.status === 503 ? { 'Retry-After': '30' } : {};
  const response = page(problem.status, problem.title, `<h1>${escapeHtml(problem.title)}</h1>\n<p>${escapeHtml(problem.detail)}</p>`);
  return { ...response, headers: { ...HEADERS, ...retry } };
}
