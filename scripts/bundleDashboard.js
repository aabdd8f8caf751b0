// Builds the dashboard into one offline page: src/http/dashboard's page.html with uPlot (from
// node_modules) and the page's own style and scripts inlined, and the Content-Security-Policy that
// allows exactly those inline blocks by their SHA-256 hashes and nothing from anywhere else. The
// result, src/http/dashboard/page.generated.json, is imported by src/http/dashboardPage.ts, so tsc
// carries it into whatever outDir the build writes (deploy.sh builds into a fresh folder).
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
if (!template.includes('<!--STYLES-->') || !template.includes('<!--SCRIPTS-->'))
  throw new Error('bundleDashboard: page.html lacks <!--STYLES--> or <!--SCRIPTS-->');
const html = template.replace('<!--STYLES-->', () => styleBlock).replace('<!--SCRIPTS-->', () => scriptBlock);

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
writeFileSync(out, JSON.stringify({ html, contentSecurityPolicy }));
console.log(`bundleDashboard: wrote ${path.relative(root, out)} (${Buffer.byteLength(html)} bytes of HTML)`);
