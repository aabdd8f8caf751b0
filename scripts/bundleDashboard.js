// Builds the dashboard into one offline page per language: src/http/dashboard's page.html with its
// {{labels}} filled from messages.json, uPlot (from node_modules) and the page's own style and scripts
// inlined, that language's labels as a JSON data block for the scripts, and the
// Content-Security-Policy that allows exactly those inline blocks by their SHA-256 hashes and nothing
// from anywhere else. The scripts are the same bytes in every language, so one policy serves all
// pages (a JSON data block is not run, so it needs no hash). The result,
// src/http/dashboard/page.generated.json, is imported by src/http/dashboardPage.ts, so tsc carries it
// into whatever outDir the build writes (deploy.sh builds into a fresh folder).
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'src', 'http', 'dashboard');
const uplot = path.dirname(require.resolve('uplot/package.json', { paths: [root] }));
const read = (file) => readFileSync(file, 'utf8');

const styles = [read(path.join(uplot, 'dist', 'uPlot.min.css')), read(path.join(source, 'style.css'))];
const scripts = [read(path.join(uplot, 'dist', 'uPlot.iife.min.js')), ...['dom.js', 'search.js', 'app.js'].map((f) => read(path.join(source, f)))];

for (const text of [...styles, ...scripts]) {
  // an inline block ends at the first "</script" or "</style", whatever the text around it means
  if (/<\/(script|style)/i.test(text)) throw new Error('bundleDashboard: an inlined file contains a closing </script> or </style> tag');
}
const hash = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const styleBlock = styles.map((s) => `<style>${s}</style>`).join('\n');
const scriptBlock = scripts.map((s) => `<script>${s}</script>`).join('\n');
const template = read(path.join(source, 'page.html'));
for (const mark of ['<!--STYLES-->', '<!--SCRIPTS-->', '<!--MESSAGES-->', '<!--LANGUAGES-->'])
  if (!template.includes(mark)) throw new Error(`bundleDashboard: page.html lacks ${mark}`);

const messages = JSON.parse(read(path.join(source, 'messages.json')));
const languages = Object.keys(messages);
const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// what a label's {placeholders} read before the scripts run (they rewrite those labels at once)
const firstPaint = { hours: '24', zone: 'UTC' };

function page(language) {
  const labels = messages[language];
  const label = (key) => {
    if (typeof labels[key] !== 'string') throw new Error(`bundleDashboard: page.html names ${key}, which messages.json.${language} lacks`);
    return escapeHtml(labels[key].replace(/\{(\w+)\}/g, (whole, name) => firstPaint[name] ?? whole));
  };
  const options = languages
    .map((l) => `<option value="${l}"${l === language ? ' selected' : ''}>${escapeHtml(messages[l]['language.name'])}</option>`)
    .join('');
  // "<" as \u003c: no label can end the data block early
  const data = JSON.stringify(labels).replace(/</g, '\\u003c');
  return template
    .replace(/\{\{([\w.]+)\}\}/g, (_whole, key) => (key === 'lang' ? language : label(key)))
    .replace('<!--LANGUAGES-->', () => options)
    .replace('<!--MESSAGES-->', () => `<script type="application/json" id="messages">${data}</script>`)
    .replace('<!--STYLES-->', () => styleBlock)
    .replace('<!--SCRIPTS-->', () => scriptBlock);
}
const pages = Object.fromEntries(languages.map((l) => [l, page(l)]));

const contentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${scripts.map(hash).join(' ')}`,
  `style-src ${styles.map(hash).join(' ')}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const out = path.join(source, 'page.generated.json');
writeFileSync(out, JSON.stringify({ pages, contentSecurityPolicy }));
console.log(`bundleDashboard: wrote ${path.relative(root, out)} (${languages.map((l) => `${l}: ${Buffer.byteLength(pages[l])}`).join(', ')} bytes of HTML)`);
