// The README and the docs it links to are part of the contract: docs/settings.md must list every
// setting, every link must lead somewhere, and the README's `az storage entity query` commands must
// work against Azurite as written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../src/config';
import { checkPolicy } from '../src/core/policy/check';
import { message, type RelayHarness, startRelayHarness } from './support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

const root = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const settingsDoc = readFileSync(path.join(root, 'docs', 'settings.md'), 'utf8');

test('the README opens with what the relay is and the two commands', FILE_TIMEOUT, () => {
  const opening = readme.slice(0, 1200);
  assert.match(opening, /SMTP relay for Azure/);
  assert.match(opening, /npm install && npm start/);
  assert.match(opening, /npm test/);
});

test('docs/settings.md documents every setting', FILE_TIMEOUT, () => {
  for (const spec of SETTINGS) assert.ok(settingsDoc.includes(`| \`${spec.name}\` |`), `${spec.name} is missing from the settings table in docs/settings.md`);
});

test('every relative link in the README and the docs leads to a file that exists', FILE_TIMEOUT, () => {
  const pages = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...markdownUnder('docs')];
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(path.join(root, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target) || target.startsWith('#')) continue;
      const file = target.split('#')[0];
      if (!existsSync(path.resolve(path.dirname(path.join(root, page)), file))) broken.push(`${page} → ${target}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(pages.length >= 8, `expected the docs pages, found ${pages.join(', ')}`);
});

test("the README's delivery policy is valid and is the example file's docomo and smart host part", FILE_TIMEOUT, () => {
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(([, body]) => body).filter((body) => body.includes('relay-policy.schema.json'));
  assert.equal(blocks.length, 1, 'expected one policy example in the README');
  const shown = JSON.parse(blocks[0]) as { destinations: Record<string, unknown>; smartHosts: unknown };
  const checked = checkPolicy(shown, 'README.md');
  if (!checked.ok) assert.fail(checked.problems.join('\n'));
  const example = JSON.parse(readFileSync(path.join(root, 'relay-policy.example.json'), 'utf8')) as typeof shown;
  assert.deepEqual(shown.destinations['jp-docomo'], example.destinations['jp-docomo']);
  assert.deepEqual(shown.smartHosts, example.smartHosts);
});

test("every policy example in the README with routes or DKIM passes the app's own check", FILE_TIMEOUT, () => {
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(([, body]) => body).filter((body) => /"(routes|dkim)"/.test(body));
  assert.ok(blocks.length >= 1, 'expected a routes or dkim example in the README');
  for (const body of blocks) {
    const checked = checkPolicy(JSON.parse(body), 'README.md');
    if (!checked.ok) assert.fail(`${checked.problems.join('\n')}\nin:\n${body}`);
  }
});

function markdownUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join(dir, name));
}

/** The README's az commands, each joined from its continuation lines. */
function azQueries(): string[] {
  return readme
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('az storage entity query --connection-string "UseDevelopmentStorage=true"'));
}

const azAvailable = spawnSync('az', ['version'], { stdio: 'ignore' }).status === 0;
if (!azAvailable && process.env.CI === 'true') {
  test('the az CLI is installed on CI', () => assert.fail("az is not on PATH; .ci/run installs Debian's azure-cli package"));
}

describe(
  "the README's az queries, against Azurite",
  { ...FILE_TIMEOUT, skip: azAvailable ? false : 'az is not installed (Debian: apt-get install azure-cli)' },
  () => {
    let relay: RelayHarness;
    let messageId: string;

    before(async () => {
      relay = await startRelayHarness();
      const answer = await relay.send(message({ to: ['readme@example.net', 'bounce-readme@example.net'] }));
      messageId = answer.body.id;
      await relay.waitForStatus(messageId, (v) => v.status === 'completed');
    });
    after(async () => {
      await relay?.stop();
    });

    function run(command: string): string {
      // Azurite here listens on ephemeral ports: the only change is the connection string's value.
      const local = command
        .replace('"UseDevelopmentStorage=true"', `"${relay.azurite.connectionString}"`)
        .replace('<message id>', messageId)
        .replace("'user@example.net'", "'readme@example.net'")
        .replace(/ -o table$/, ' -o json');
      return execFileSync('bash', ['-c', local], { encoding: 'utf8', env: { ...process.env, AZURE_CORE_ONLY_SHOW_ERRORS: 'true' } });
    }

    test("there are three: one message, one recipient, the last hour's bounces and failures", () => {
      assert.equal(azQueries().length, 3);
    });

    test('one message lists each recipient with its outcome', () => {
      const rows = JSON.parse(run(azQueries()[0])) as { recipient: string; status: string }[];
      assert.deepEqual(rows.map((r) => `${r.recipient} ${r.status}`).sort(), ['bounce-readme@example.net bounced', 'readme@example.net sent']);
    });

    test('one recipient lists its messages', () => {
      const rows = JSON.parse(run(azQueries()[1])) as { message: string; status: string }[];
      assert.deepEqual(
        rows.map((r) => [r.message, r.status]),
        [[messageId, 'sent']],
      );
    });

    test("the last hour's bounces and failures include this bounce", () => {
      const rows = JSON.parse(run(azQueries()[2])) as { message: string; recipient: string; status: string }[];
      assert.ok(
        rows.some((r) => r.message === messageId && r.recipient === 'bounce-readme@example.net' && r.status === 'bounced'),
        JSON.stringify(rows),
      );
      assert.ok(rows.every((r) => r.status === 'bounced' || r.status === 'failed'));
    });
  },
);
