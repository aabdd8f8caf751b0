// The dashboard's sections, from GET /api/v1/stats: the chart of outcomes per hour, the counts by
// destination group, domain and category, the latest bounces and failures, and what holds mail back.
// Every label comes from t() (messages.json), every time from time(), in the operator's time zone.
'use strict';
/* global uPlot, el, api, empty, replaceContent, table, statusText, categoryText, MESSAGES, reply, time, number, t, zoneName, showNotice, openMessage, STATUSES, STATUS_COLORS, OPERATOR_KEY, TIME_ZONE, HOUR_FORMAT, LANG */

const HOURS = 24;
const LANGUAGE_COOKIE = 'relay-dashboard-lang';
let chart = null;

async function load() {
  if (!OPERATOR_KEY) {
    showNotice(t('notice.noKey'));
    return;
  }
  const answer = await api(`/api/v1/stats?hours=${HOURS}`);
  if (answer.status !== 200) {
    showNotice(t('notice.statsFailed', { status: answer.status, detail: answer.body && answer.body.detail ? `: ${answer.body.detail}` : '' }));
    return;
  }
  render(answer.body);
}

function render(stats) {
  document.getElementById('generated').textContent = t('generated', {
    time: time(stats.generatedAt),
    events: number(stats.read.events),
    hours: number(stats.read.hourPartitions),
  });
  document.getElementById('chart-heading').textContent = t('chart.heading', { hours: number(stats.hours), zone: TIME_ZONE });
  drawChart(stats.perHour);
  const shown = STATUSES.filter((s) => stats.totals[s] > 0);
  replaceContent(
    'totals',
    shown.length === 0
      ? []
      : table(
          shown.map((s) => statusText(s)),
          [shown.map((s) => stats.totals[s])],
          shown.map((_, i) => i),
        ),
  );
  replaceContent('destinations', groups(stats.destinations, t('destinations.column')));
  replaceContent('domains', groups(stats.domains, t('domains.column')));
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
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), TIME_ZONE),
    scales: { y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
    series: [
      { label: t('chart.hour'), value: (_u, ts) => (ts === null ? '—' : time(new Date(ts * 1000).toISOString())) },
      ...series.map((s) => ({ label: t(`status.${s}`), stroke: STATUS_COLORS[s], width: 2, points: { show: true } })),
    ],
    axes: [{ values: (_u, splits) => splits.map((ts) => HOUR_FORMAT.format(new Date(ts * 1000))) }, { label: t('chart.recipients') }],
  };
  if (chart) chart.destroy();
  chart = new uPlot(options, data, container);
}

function groups(list, heading) {
  if (list.length === 0) return empty(t('groups.none'));
  const columns = ['sent', 'deferred', 'bounced', 'failed'];
  return table(
    [heading, t('groups.all'), ...columns.map((c) => t(`status.${c}`))],
    list.map((g) => [g.name, g.total, ...columns.map((c) => g.counts[c])]),
    [1, 2, 3, 4, 5],
  );
}

function categories(byStatus) {
  const parts = [];
  for (const status of ['deferred', 'bounced', 'failed']) {
    const list = byStatus[status];
    parts.push(el('h3', null, t(`categories.${status}`)));
    parts.push(
      list.length === 0
        ? empty(t(`categories.none.${status}`))
        : table(
            ['category', 'meaning', 'count'].map((c) => t(`categories.column.${c}`)),
            list.map((c) => [categoryText(c.category), `category.${c.category}` in MESSAGES ? t(`category.${c.category}`) : '', c.count]),
            [2],
          ),
    );
  }
  return parts;
}

function figure(label, value, id) {
  return el('div', { class: 'figure', id }, el('strong', null, typeof value === 'number' ? number(value) : value), label);
}

function controls(stats) {
  const held = stats.held.reduce((sum, h) => sum + h.count, 0);
  const suppressed = `${number(stats.suppressions.entries.length)}${stats.suppressions.more ? '+' : ''}`;
  return [
    el(
      'div',
      { class: 'figures' },
      figure(t('controls.held'), held, 'held-count'),
      figure(t('controls.suspensions'), stats.suspensions.length, 'suspension-count'),
      figure(t('controls.suppressed'), suppressed, 'suppression-count'),
      figure(t('controls.poison'), stats.poison, 'poison-count'),
    ),
    el('h3', null, t('controls.heldHeading')),
    stats.held.length === 0
      ? empty(t('controls.heldNone'))
      : table(
          [t('controls.column.heldBy'), t('controls.column.recipients')],
          stats.held.map((h) => [h.heldBy, h.count]),
          [1],
        ),
    el('h3', null, t('controls.suspensionsHeading')),
    stats.suspensions.length === 0
      ? empty(t('controls.suspensionsNone'))
      : table(
          ['kind', 'name', 'reason', 'until'].map((c) => t(`controls.column.${c}`)),
          stats.suspensions.map((s) => [s.kind, s.name, s.reason, time(s.until)]),
        ),
    el('h3', { id: 'cool-offs' }, t('controls.coolOffsHeading')),
    stats.coolOffs.length === 0
      ? empty(t('controls.coolOffsNone'))
      : table(
          ['smartHost', 'until', 'failures', 'failingSince', 'reason'].map((c) => t(`controls.column.${c}`)),
          stats.coolOffs.map((c) => [c.smartHost, time(c.until), c.failures, time(c.since), c.reason]),
          [2],
        ),
    el('h3', null, t('controls.suppressionHeading')),
    stats.suppressions.entries.length === 0
      ? empty(t('controls.suppressionNone'))
      : table(
          ['address', 'source', 'reason', 'since'].map((c) => t(`controls.column.${c}`)),
          stats.suppressions.entries.map((s) => [s.address, s.source, s.reason, time(s.createdAt)]),
        ),
  ];
}

function problems(list) {
  if (list.length === 0) return empty(t('problems.none'));
  return table(
    ['time', 'recipient', 'status', 'reply', 'category', 'subject', 'message'].map((c) => t(`problems.column.${c}`)),
    list.map((p) => [
      time(p.at),
      p.recipient,
      statusText(p.status),
      reply(p.smtpCode, p.enhancedCode, p.response),
      categoryText(p.category),
      p.subject,
      el('button', { type: 'button', class: 'link', onclick: () => openMessage(p.messageId) }, p.messageId),
    ]),
  );
}

/**
 * Switching language reloads the page in the chosen one, so the relay renders it (the first paint
 * and the `lang` attribute are right); the choice is remembered in a cookie the relay reads for this
 * page only, and in `?lang=`, which wins over it. The operator key in `?code=` stays where it is.
 */
function switchLanguage(language) {
  if (language === LANG) return;
  document.cookie = `${LANGUAGE_COOKIE}=${encodeURIComponent(language)}; Path=/api/dashboard; Max-Age=31536000; SameSite=Strict`;
  const url = new URL(window.location.href);
  url.searchParams.set('lang', language);
  window.location.replace(url.toString());
}

document.getElementById('zone').textContent = t('zone', { zone: zoneName() });
document.getElementById('chart-heading').textContent = t('chart.heading', { hours: number(HOURS), zone: TIME_ZONE });
document.getElementById('language').addEventListener('change', (event) => switchLanguage(event.target.value));
document.getElementById('refresh').addEventListener('click', () => void load());
void load();
