// docs/bounce-rules.md (and any page that embeds the section, such as the README) lists the bounce
// rules as src/core/bounceRules.json has them: regenerate with `node dist/test/support/bounceRulesDoc.js`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BOUNCE_RULES } from '../src/core/bounceRules';
import { bounceRulesSection, DOC_FILE, START_MARKER, withSection } from './support/bounceRulesDoc';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const root = path.resolve(__dirname, '..', '..');
const STALE = 'stale: run `npm run build && node dist/test/support/bounceRulesDoc.js` (and pass README.md too if it embeds the section)';

test('docs/bounce-rules.md lists the current bounce rules and categories', FILE_TIMEOUT, () => {
  const page = readFileSync(DOC_FILE, 'utf8');
  assert.ok(page.includes(bounceRulesSection()), `docs/bounce-rules.md is ${STALE}`);
  for (const rule of BOUNCE_RULES) assert.ok(page.includes(`| \`${rule.id}\` |`), `${rule.id} is missing from docs/bounce-rules.md`);
});

test('a page that embeds the section between its markers is current too', FILE_TIMEOUT, () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  if (readme.includes(START_MARKER)) assert.equal(readme, withSection(readme, 'README.md'), `README.md is ${STALE}`);
  // the rewrite replaces only what is between the markers, and refuses a page without them
  const page = `before\n${START_MARKER}\nold\n<!-- bounce-rules:end -->\nafter\n`;
  assert.equal(withSection(page, 'page.md'), `before\n${bounceRulesSection()}\nafter\n`);
  assert.throws(() => withSection('no markers', 'page.md'), /page\.md has no <!-- bounce-rules:start --> \.\.\. <!-- bounce-rules:end --> section/);
});
