// docs/bounce-rules.md (and any page that embeds the section, such as the README) lists the bounce
// rules as src/core/bounceRules.json has them: regenerate with `node dist/test/support/bounceRulesDoc.js`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BOUNCE_RULES } from '../src/core/bounceRules';
import { bounceRulesSection, DOC_FILE, hasSection, START_MARKER, withSection } from './support/bounceRulesDoc';

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
  // issue 9: the README lists the categories and the rule table
  assert.ok(readme.includes('<!-- bounce-categories:start -->') && readme.includes('<!-- bounce-rule-table:start -->'), 'README.md lists no bounce rules');
  assert.ok(hasSection(readme));
  assert.equal(readme, withSection(readme, 'README.md'), `README.md is ${STALE}`);
  // the rewrite replaces only what is between the markers, and refuses a page without them
  const page = `before\n${START_MARKER}\nold\n<!-- bounce-rules:end -->\nafter\n`;
  assert.equal(withSection(page, 'page.md'), `before\n${bounceRulesSection()}\nafter\n`);
  // the README's split form: the categories shown, the rule table on its own
  const split = withSection(
    '<!-- bounce-categories:start -->\n<!-- bounce-categories:end -->\nx\n<!-- bounce-rule-table:start -->\n<!-- bounce-rule-table:end -->\n',
    'split.md',
  );
  assert.ok(split.includes('| `invalid-recipient` |') && split.includes(`| \`${BOUNCE_RULES[0]?.id}\` |`), split.slice(0, 300));
  assert.ok(!split.slice(0, split.indexOf('x\n')).includes('| # | id |'), 'the categories section holds no rule table');
  assert.throws(() => withSection('no markers', 'page.md'), /page\.md has no <!-- bounce-rules:start --> \.\.\. <!-- bounce-rules:end --> section/);
});
