// The dashboard's helpers: the labels of the page's language (messages.json, inlined by the build as
// a data block), times in the browser's time zone and numbers as that language writes them, building
// elements (every value goes in as text, never as HTML), tables, and the API calls, which carry the
// operator key the page was opened with.
'use strict';

/** The language the relay chose for this page (Accept-Language, ?lang= or the remembered choice). */
const LANG = document.documentElement.lang || 'en';
const MESSAGES = JSON.parse(document.getElementById('messages').textContent);
/** The browser's own locale when it is of the page's language (en-GB dates for an en-GB browser), else the language. */
const LOCALE = (navigator.languages || []).find((l) => l.split('-')[0].toLowerCase() === LANG) || LANG;
/** The operator's time zone, as the browser says (Asia/Tokyo in Japan); every time is shown in it. */
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const TIME_FORMAT = new Intl.DateTimeFormat(LOCALE, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZone: TIME_ZONE,
  timeZoneName: 'short',
});
/** The chart's hour ticks: day and hour, in the operator's zone. */
const HOUR_FORMAT = new Intl.DateTimeFormat(LOCALE, {
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: TIME_ZONE,
});
const NUMBER_FORMAT = new Intl.NumberFormat(LOCALE);

/** The label `key` of the page's language, its {placeholders} filled from `values`. */
function t(key, values = {}) {
  const text = MESSAGES[key];
  if (typeof text !== 'string') throw new Error(`no label ${key}`);
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The time zone as shown: its IANA name and, where the language has one, its short name (JST). */
function zoneName() {
  const part = TIME_FORMAT.formatToParts(new Date()).find((p) => p.type === 'timeZoneName');
  return part && part.value !== TIME_ZONE ? `${TIME_ZONE} (${part.value})` : TIME_ZONE;
}

function number(value) {
  return typeof value === 'number' ? NUMBER_FORMAT.format(value) : String(value);
}

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
  document.getElementById(id).replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
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
      cells.map((c, i) => el('td', numeric.includes(i) ? { class: 'num' } : null, typeof c === 'number' ? number(c) : c)),
    ),
  );
  return el('table', null, el('thead', null, head), el('tbody', null, body));
}

/**
 * A status in the page's language (a recipient's, or with family 'messageStatus' a message's); the
 * API's own word stays in `data-status` and the tooltip.
 */
function statusText(status, family = 'status') {
  const key = `${family}.${status}`;
  return el('span', { class: `status-${status}`, 'data-status': status, title: status }, key in MESSAGES ? t(key) : status);
}

/** A category as the API names it (so it matches the docs), its meaning in the page's language as the tooltip. */
function categoryText(category) {
  if (!category) return '—';
  const key = `category.${category}`;
  return el('span', { class: 'category', 'data-category': category, title: key in MESSAGES ? t(key) : null }, category);
}

/** The SMTP reply as the smart host gave it; the codes go first when the text does not start with them. */
function reply(code, enhanced, response) {
  const codes = [code, enhanced].filter((p) => p !== null && p !== undefined && p !== '').join(' ');
  const text = response || '';
  const shown = codes !== '' && !text.startsWith(String(code)) ? `${codes} ${text}`.trim() : text || codes;
  return el('span', { class: 'reply' }, shown || '—');
}

/** An API time (ISO 8601, UTC) in the operator's time zone, named ("2026/12/02 09:15:00 JST"). */
function time(iso) {
  if (!iso) return '—';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : TIME_FORMAT.format(at);
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
