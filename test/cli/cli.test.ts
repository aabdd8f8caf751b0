// The CLI against the real local host: the commands an operator runs, through the HTTP API, with the
// operator key from the environment. Most run in-process through runCli (same code as the bin); one
// runs the installed bin the way `npx relay` does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/main';
import { ADMIN_KEY, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const repoRoot = path.resolve(__dirname, '..', '..', '..');

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('the relay CLI', FILE_TIMEOUT, () => {
  let relay: RelayHarness;
  const env = (): Record<string, string> => ({ RELAY_URL: relay.url, RELAY_ADMIN_KEY: ADMIN_KEY });

  async function cli(args: string[], environment: Record<string, string> = env()): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, environment, { out: (t) => out.push(t), err: (t) => err.push(t), tty: false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  before(async () => {
    relay = await startRelayHarness();
  });
  after(async () => {
    await relay?.stop();
  });

  test('status shows each recipient with its SMTP reply and category', async () => {
    const sent = await relay.send(message({ to: ['taro@example.net', 'bounce-jiro@example.net'], subject: '請求書のお知らせ' }));
    assert.equal(sent.status, 202);
    const id = String(sent.body.id);
    await relay.waitForStatus(id, (v) => v.status === 'completed');
    const run = await cli(['status', id]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, new RegExp(`id: +${id}`));
    assert.match(run.out, /subject: +請求書のお知らせ/);
    assert.match(run.out, /taro@example\.net +sent +1 +250/);
    assert.match(run.out, /bounce-jiro@example\.net +bounced +1 +550 5\.1\.1 +invalid-recipient/);

    const json = await cli(['--json', 'status', id]);
    assert.equal((JSON.parse(json.out) as { id: string }).id, id, '--json prints the API answer');
  });

  test('suppressions add, show, list and remove change the list the relay checks', async () => {
    const added = await cli(['suppressions', 'add', 'hanako@example.net', '--reason', 'asked by phone']);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /suppressed hanako@example\.net \(all\)/);

    const listed = await cli(['suppressions', 'list', '--source', 'manual']);
    assert.match(listed.out, /hanako@example\.net +all +manual +- +asked by phone/);

    const refused = await relay.send(message({ to: 'hanako@example.net' }));
    assert.equal(refused.body.recipients?.[0]?.status, 'suppressed', 'the relay checks what the CLI added');

    const removed = await cli(['suppressions', 'remove', 'hanako@example.net']);
    assert.equal(removed.code, 0, removed.err);
    const shown = await cli(['suppressions', 'show', 'hanako@example.net']);
    assert.equal(shown.code, 1);
    assert.match(shown.err, /GET \/api\/v1\/suppressions\/hanako@example\.net answered 404/);
  });

  test("a sender's key is refused with a hint, a bad option is a usage error, and the key is never printed", async () => {
    const refused = await cli(['suppressions', 'list'], { RELAY_URL: relay.url, RELAY_ADMIN_KEY: FUNCTION_KEY });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /answered 401.*not a sender key/);
    assert.ok(!refused.err.includes(FUNCTION_KEY), 'the key stays out of the message');

    const badTime = await cli(['suppressions', 'add', 'x@example.net', '--reason', 'r', '--expires', 'tomorrow']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.err, /--expires "tomorrow" is not a time/);

    const missing = await cli(['suppressions', 'add', 'x@example.net']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /required option '--reason <text>' not specified/);

    const noKey = await cli(['status', 'x'], { RELAY_URL: 'https://relay.example.net' });
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /RELAY_ADMIN_KEY is not set/);

    const unreachable = await cli(['status', 'x'], { RELAY_URL: 'http://127.0.0.1:9', RELAY_ADMIN_KEY: ADMIN_KEY });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.err, /cannot reach the relay at http:\/\/127\.0\.0\.1:9/);
  });

  test('the bin runs as `npx relay` does, with the key from the environment', async () => {
    const sent = await relay.send(message());
    const id = String(sent.body.id);
    await relay.waitForStatus(id, (v) => v.status === 'completed');
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'relay', 'status', id], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RELAY_URL: relay.url, RELAY_ADMIN_KEY: ADMIN_KEY },
    });
    assert.match(stdout, /user@example\.net +sent/);
  });
});
