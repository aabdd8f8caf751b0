// The dashboard's sections, from GET /api/v1/stats: the chart of outcomes per hour, the counts by
// destination group, domain and category, the latest bounces and failures, and what holds mail back.
'use strict';
/* global uPlot, el, api, empty, replaceContent, table, statusText, reply, time, showNotice, openMessage, STATUSES, STATUS_COLORS, OPERATOR_KEY */

const HOURS = 24;
let chart = null;

async function load() {
  if (!OPERATOR_KEY) {
    showNotice('Open this page as /api/dashboard?code=<the operator key>: the page passes that key on to the API it reads.');
    return;
  }
  const answer = await api(`/api/v1/stats?hours=${HOURS}`);
  if (answer.status !== 200) {
    showNotice(`The relay answered ${answer.status} for its numbers${answer.body && answer.body.detail ? `: ${answer.body.detail}` : ''}`);
    return;
  }
  render(answer.body);
}

function render(stats) {
  document.getElementById('generated').textContent =
    `as of ${time(stats.generatedAt)}, read ${stats.read.events} events from ${stats.read.hourPartitions} hours`;
  document.getElementById('hours').textContent = String(stats.hours);
  drawChart(stats.perHour);
  const shown = STATUSES.filter((s) => stats.totals[s] > 0);
  replaceContent(
    'totals',
    shown.length === 0
      ? []
      : table(
          shown.map(statusText),
          [shown.map((s) => stats.totals[s])],
          shown.map((_, i) => i),
        ),
  );
  replaceContent('destinations', groups(stats.destinations, 'Destination', 'No outcomes in this window.'));
  replaceContent('domains', groups(stats.domains, 'Domain', 'No outcomes in this window.'));
  replaceContent('categories', categories(stats.categories));
  replaceContent('controls', controls(stats));
  replaceContent('problems', problems(stats.latestProblems));
}

function drawChart(perHour) {
  const xs = perHour.map((h) => Date.parse(h.hour) / 1000);
  const series = STATUSES.filter((s) => s !== 'sending');
  const data = [xs, ...series.map((s) => perHour.map((h) => h[s]))];
  const container = document.getElementById('chart');
  const options = {
    width: Math.max(320, container.clientWidth),
    height: 240,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
    series: [{ label: 'hour' }, ...series.map((s) => ({ label: s, stroke: STATUS_COLORS[s], width: 2, points: { show: true } }))],
    axes: [{}, { label: 'recipients' }],
  };
  if (chart) chart.destroy();
  chart = new uPlot(options, data, container);
}

function groups(list, heading, none) {
  if (list.length === 0) return empty(none);
  const columns = ['sent', 'deferred', 'bounced', 'failed'];
  return table(
    [heading, 'all', ...columns],
    list.map((g) => [g.name, g.total, ...columns.map((c) => g.counts[c])]),
    [1, 2, 3, 4, 5],
  );
}

function categories(byStatus) {
  const parts = [];
  for (const [status, label] of [
    ['deferred', 'Deferrals'],
    ['bounced', 'Bounces'],
    ['failed', 'Failures'],
  ]) {
    const list = byStatus[status];
    parts.push(el('h3', null, label));
    parts.push(
      list.length === 0
        ? empty(`No ${label.toLowerCase()}.`)
        : table(
            ['Category', 'count'],
            list.map((c) => [c.category, c.count]),
            [1],
          ),
    );
  }
  return parts;
}

function figure(label, value, id) {
  return el('div', { class: 'figure', id }, el('strong', null, String(value)), label);
}

function controls(stats) {
  const held = stats.held.reduce((sum, h) => sum + h.count, 0);
  const suppressed = `${stats.suppressions.entries.length}${stats.suppressions.more ? '+' : ''}`;
  return [
    el(
      'div',
      { class: 'figures' },
      figure('held', held, 'held-count'),
      figure('suspensions', stats.suspensions.length, 'suspension-count'),
      figure('suppressed addresses', suppressed, 'suppression-count'),
      figure('poison', stats.poison, 'poison-count'),
    ),
    el('h3', null, 'Held recipients'),
    stats.held.length === 0
      ? empty('Nothing is held back by a delivery policy.')
      : table(
          ['Held by', 'recipients'],
          stats.held.map((h) => [h.heldBy, h.count]),
          [1],
        ),
    el('h3', null, 'Suspensions'),
    stats.suspensions.length === 0
      ? empty('No destination or smart host is suspended.')
      : table(
          ['Kind', 'Name', 'Reason', 'Until'],
          stats.suspensions.map((s) => [s.kind, s.name, s.reason, time(s.until)]),
        ),
    el('h3', null, 'Suppression list'),
    stats.suppressions.entries.length === 0
      ? empty('The suppression list is empty.')
      : table(
          ['Address', 'Source', 'Reason', 'Since'],
          stats.suppressions.entries.map((s) => [s.address, s.source, s.reason, time(s.createdAt)]),
        ),
  ];
}

function problems(list) {
  if (list.length === 0) return empty('No bounces or failures in this window.');
  return table(
    ['Time', 'Recipient', 'Status', 'SMTP reply', 'Category', 'Subject', 'Message'],
    list.map((p) => [
      time(p.at),
      p.recipient,
      statusText(p.status),
      reply(p.smtpCode, p.enhancedCode, p.response),
      p.category || '—',
      p.subject,
      el('button', { type: 'button', class: 'link', onclick: () => openMessage(p.messageId) }, p.messageId),
    ]),
  );
}

document.getElementById('refresh').addEventListener('click', () => void load());
void load();
