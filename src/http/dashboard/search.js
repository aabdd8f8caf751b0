// The search: by message id (GET /api/v1/messages/{id}), or by recipient or tag through the list
// (GET /api/v1/messages?recipient= / ?tag.<name>=); a result opens the message's recipients with
// their SMTP replies.
'use strict';
/* global el, api, empty, replaceContent, table, statusText, reply, time */

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
  if (query === null) return replaceContent('search-results', empty('Write the tag as name=value, e.g. campaign=december.'));
  replaceContent('search-results', empty('Searching…'));
  const answer = await api(`/api/v1/messages?${query}&limit=50`);
  if (answer.status !== 200) return replaceContent('search-results', failure(answer));
  const items = answer.body.items || [];
  if (items.length === 0) return replaceContent('search-results', empty(`No message matches ${text}.`));
  const rows = items.map((m) => [
    el('button', { type: 'button', class: 'link', 'data-message-id': m.id, onclick: () => openMessage(m.id) }, m.id),
    time(m.createdAt),
    statusText(m.status),
    m.from || '',
    m.subject || '',
  ]);
  const more = answer.body.continuationToken ? empty('More messages match; narrow the search to see them.') : null;
  replaceContent('search-results', table(['Message', 'Created', 'Status', 'From', 'Subject'], rows), more);
}

async function openMessage(id) {
  const answer = await api(`/api/v1/messages/${encodeURIComponent(id.trim())}`);
  if (answer.status === 404) return replaceContent('message', empty(`No message with id ${id}.`));
  if (answer.status !== 200) return replaceContent('message', failure(answer));
  const m = answer.body;
  const tags = Object.entries(m.tags || {}).map(([name, value]) => `${name}=${value}`);
  const rows = m.recipients.map((r) => [
    r.address,
    statusText(r.status),
    r.attempts,
    reply(r.smtpCode, r.enhancedCode, r.response),
    r.category || '—',
    r.smartHost || '—',
    r.heldBy ? `${r.heldBy} until ${time(r.nextAttemptAt)}` : r.nextAttemptAt ? `next try ${time(r.nextAttemptAt)}` : '—',
    time(r.updatedAt),
  ]);
  replaceContent(
    'message',
    el(
      'div',
      { id: 'message-view', 'data-message-id': m.id },
      el('h3', { class: 'subject' }, m.subject),
      el('p', null, el('span', { class: 'from' }, m.from), ' · ', m.id, ' · ', statusText(m.status), ' · created ', time(m.createdAt)),
      tags.length > 0 ? el('p', { class: 'muted tags' }, `tags: ${tags.join(', ')}`) : null,
      table(['Recipient', 'Status', 'Attempts', 'SMTP reply', 'Category', 'Smart host', 'Held / next', 'Updated'], rows, [2]),
    ),
  );
}

function failure(answer) {
  const detail = answer.body && answer.body.detail ? `: ${answer.body.detail}` : '';
  return el('p', { class: 'notice' }, `The relay answered ${answer.status}${detail}`);
}

document.getElementById('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const kind = document.getElementById('search-kind').value;
  const text = document.getElementById('search-text').value.trim();
  if (text !== '') void search(kind, text);
});
