// The search: by message id (GET /api/v1/messages/{id}), or by recipient or tag through the list
// (GET /api/v1/messages?recipient= / ?tag.<name>=); a result opens the message's recipients with
// their SMTP replies.
'use strict';
/* global el, api, empty, replaceContent, table, statusText, categoryText, reply, time, t */

function searchQuery(kind, text) {
  if (kind === 'recipient') return `recipient=${encodeURIComponent(text)}`;
  const at = text.indexOf('=');
  if (at <= 0) return null;
  return `tag.${encodeURIComponent(text.slice(0, at).trim())}=${encodeURIComponent(text.slice(at + 1).trim())}`;
}

async function search(kind, text) {
  replaceContent('message');
  if (kind === 'id') {
    replaceContent('search-results');
    return openMessage(text);
  }
  const query = searchQuery(kind, text);
  if (query === null) return replaceContent('search-results', empty(t('search.tagFormat')));
  replaceContent('search-results', empty(t('search.searching')));
  const answer = await api(`/api/v1/messages?${query}&limit=50`);
  if (answer.status !== 200) return replaceContent('search-results', failure(answer));
  const items = answer.body.items || [];
  if (items.length === 0) return replaceContent('search-results', empty(t('search.none', { text })));
  const rows = items.map((m) => [
    el('button', { type: 'button', class: 'link', 'data-message-id': m.id, onclick: () => openMessage(m.id) }, m.id),
    time(m.createdAt),
    statusText(m.status, 'messageStatus'),
    m.from || '',
    m.subject || '',
  ]);
  const more = answer.body.continuationToken ? empty(t('search.more')) : null;
  replaceContent(
    'search-results',
    table(
      ['message', 'created', 'status', 'from', 'subject'].map((c) => t(`search.column.${c}`)),
      rows,
    ),
    more,
  );
}

async function openMessage(id) {
  const answer = await api(`/api/v1/messages/${encodeURIComponent(id.trim())}`);
  if (answer.status === 404) return replaceContent('message', empty(t('message.notFound', { id })));
  if (answer.status !== 200) return replaceContent('message', failure(answer));
  const m = answer.body;
  const tags = Object.entries(m.tags || {}).map(([name, value]) => `${name}=${value}`);
  const rows = m.recipients.map((r) => [
    r.address,
    statusText(r.status),
    r.attempts,
    reply(r.smtpCode, r.enhancedCode, r.response),
    categoryText(r.category),
    r.smartHost || '—',
    r.heldBy
      ? t('message.heldUntil', { heldBy: r.heldBy, time: time(r.nextAttemptAt) })
      : r.nextAttemptAt
        ? t('message.nextTry', { time: time(r.nextAttemptAt) })
        : '—',
    time(r.updatedAt),
  ]);
  replaceContent(
    'message',
    el(
      'div',
      { id: 'message-view', 'data-message-id': m.id },
      el('h3', { class: 'subject' }, m.subject),
      el(
        'p',
        null,
        el('span', { class: 'from' }, m.from),
        ' · ',
        m.id,
        ' · ',
        statusText(m.status, 'messageStatus'),
        ' · ',
        t('message.created', { time: time(m.createdAt) }),
      ),
      tags.length > 0 ? el('p', { class: 'muted tags' }, t('message.tags', { tags: tags.join(', ') })) : null,
      table(
        ['recipient', 'status', 'attempts', 'reply', 'category', 'smartHost', 'next', 'updated'].map((c) => t(`message.column.${c}`)),
        rows,
        [2],
      ),
    ),
  );
}

function failure(answer) {
  const detail = answer.body && answer.body.detail ? `: ${answer.body.detail}` : '';
  return el('p', { class: 'notice' }, t('notice.failed', { status: answer.status, detail }));
}

document.getElementById('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const kind = document.getElementById('search-kind').value;
  const text = document.getElementById('search-text').value.trim();
  if (text !== '') void search(kind, text);
});
