// The dashboard's helpers: building elements (every value goes in as text, never as HTML), tables,
// and the API calls, which carry the operator key the page was opened with.
'use strict';

const STATUSES = ['queued', 'sending', 'deferred', 'sent', 'bounced', 'failed', 'suppressed'];
const STATUS_COLORS = {
  queued: '#bf8700',
  sending: '#8250df',
  deferred: '#e08a00',
  sent: '#1a7f37',
  bounced: '#cf222e',
  failed: '#82071e',
  suppressed: '#6b7785',
};

/** The key of `?code=`, read once; it goes to the API in a header, never into a link or the page. */
const OPERATOR_KEY = new URLSearchParams(window.location.search).get('code');

/** An element with attributes and children; strings become text nodes. */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === 'onclick') node.addEventListener('click', value);
    else if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

function replaceContent(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
}

function empty(text) {
  return el('p', { class: 'empty' }, text);
}

/** A table of `rows`, each cell a string, a number or a node; `numeric` names the right-aligned columns. */
function table(headings, rows, numeric = []) {
  const head = el(
    'tr',
    null,
    headings.map((h, i) => el('th', numeric.includes(i) ? { class: 'num' } : null, h)),
  );
  const body = rows.map((cells) =>
    el(
      'tr',
      null,
      cells.map((c, i) => el('td', numeric.includes(i) ? { class: 'num' } : null, c)),
    ),
  );
  return el('table', null, el('thead', null, head), el('tbody', null, body));
}

function statusText(status) {
  return el('span', { class: `status-${status}` }, status);
}

/** The SMTP reply as the smart host gave it; the codes go first when the text does not start with them. */
function reply(code, enhanced, response) {
  const codes = [code, enhanced].filter((p) => p !== null && p !== undefined && p !== '').join(' ');
  const text = response || '';
  const shown = codes !== '' && !text.startsWith(String(code)) ? `${codes} ${text}`.trim() : text || codes;
  return el('span', { class: 'reply' }, shown || '—');
}

function time(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

function showNotice(text) {
  const notice = document.getElementById('notice');
  notice.textContent = text;
  notice.hidden = false;
}

/** GET from the relay's API with the operator key: {status, body} (body null when it is not JSON). */
async function api(path) {
  const response = await fetch(path, { headers: { 'x-functions-key': OPERATOR_KEY || '' }, cache: 'no-store' });
  const type = response.headers.get('content-type') || '';
  // read to the end either way: an answer left unread shows as an aborted request
  const text = await response.text();
  const body = /json/.test(type) && text !== '' ? JSON.parse(text) : null;
  return { status: response.status, body };
}
