// The CLI against the real local host: the commands an operator runs, through the HTTP API, with the
// operator key from the environment. Most run in-process through runCli (same code as the bin); one
// runs the installed bin the way `npx relay` does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/main';
import { DeliveryQueue } from '../../src/storage/deliveryQueue';
import { ADMIN_KEY, eventually, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

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

  test('status shows each recipient with its SMTP reply, category and smart host', async () => {
    const sent = await relay.send(message({ to: ['taro@example.net', 'bounce-jiro@example.net'], subject: '請求書のお知らせ' }));
    assert.equal(sent.status, 202);
    const id = String(sent.body.id);
    await relay.waitForStatus(id, (v) => v.status === 'completed');
    const run = await cli(['status', id]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, new RegExp(`id: +${id}`));
    assert.match(run.out, /subject: +請求書のお知らせ/);
    assert.match(run.out, /taro@example\.net +sent +1 +250/);
    assert.match(run.out, /bounce-jiro@example\.net +bounced +1 +550 5\.1\.1 +invalid-recipient +default/);
    assert.match(run.out, /SMARTHOST/, 'the handling smart host has a column');

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

  test('list finds messages by recipient and tag, newest first, and --all follows the tokens', async () => {
    const first = await relay.send(message({ to: 'list-a@example.net', tags: { campaign: 'winter' } }));
    const second = await relay.send(message({ to: 'list-b@example.net', tags: { campaign: 'winter' } }));
    await relay.waitForStatus(String(second.body.id), (v) => v.status === 'completed');
    const byTag = await cli(['list', '--tag', 'campaign=winter', '--limit', '1', '--all']);
    assert.equal(byTag.code, 0, byTag.err);
    const ids = [...byTag.out.matchAll(/^(\S+) +(queued|completed) /gm)].map((m) => m[1]);
    assert.deepEqual(ids, [String(second.body.id), String(first.body.id)], 'newest first, across pages');
    const byRecipient = await cli(['--json', 'list', '--recipient', 'list-a@example.net']);
    assert.deepEqual(
      (JSON.parse(byRecipient.out) as { items: { id: string }[] }).items.map((i) => i.id),
      [String(first.body.id)],
    );
    const bad = await cli(['list', '--tag', 'campaign']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--tag "campaign" must be name=value/);
  });

  test('suspensions add, list and lift a destination of the policy', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const added = await cli(['suspensions', 'add', 'destination', 'jp-docomo', '--reason', 'carrier maintenance', '--until', until]);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /suspended destination jp-docomo until/);
    const listed = await cli(['suspensions', 'list']);
    assert.match(listed.out, /destination +jp-docomo +manual +- +- +carrier maintenance/);
    const lifted = await cli(['suspensions', 'lift', 'destination', 'jp-docomo']);
    assert.equal(lifted.code, 0, lifted.err);
    assert.equal((await cli(['suspensions', 'list'])).out, '(none)');
    const unknown = await cli(['suspensions', 'add', 'destination', 'jp-nowhere', '--reason', 'r', '--until', until]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /answered 422/);
  });

  test('poison list shows a task the relay gave up on, and requeue puts it back to be sent once', async () => {
    await relay.smartHost.pause();
    const sent = await relay.send(message({ to: 'poison-cli@example.net' }));
    const id = String(sent.body.id);
    try {
      await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'deferred');
      const body = 'From: app@example.jp\r\nTo: poison-cli@example.net\r\nSubject: poison\r\n\r\nput back\r\n';
      await new DeliveryQueue(relay.clients.poisonQueue).enqueue({ v: 2, messageId: id, recipient: 'poison-cli@example.net', attempt: 9, body });
      await eventually('the poison task listed', async () => ((await cli(['poison', 'list'])).out.includes(id) ? true : undefined));
    } finally {
      await relay.smartHost.resume();
    }
    const requeued = await cli(['poison', 'requeue', '--all']);
    assert.equal(requeued.code, 0, requeued.err);
    assert.match(requeued.out, /^requeued 1 of 1$/m);
    await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'sent');
    assert.equal(relay.smartHost.countFor('poison-cli@example.net'), 1);
    const both = await cli(['poison', 'requeue', 'x', '--all']);
    assert.equal(both.code, 2);
    assert.match(both.err, /give the ids to requeue, or --all \(not both\)/);
  });

  test('tail prints each outcome as it happens', async () => {
    // from a time before the send: the tail starts from "now" once its process has loaded, and a quick
    // relay can have recorded both outcomes before that on a busy machine
    const since = new Date().toISOString();
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'relay.js'), 'tail', '--interval', '0.5', '--since', since], {
      env: { PATH: process.env.PATH, RELAY_URL: relay.url, RELAY_ADMIN_KEY: ADMIN_KEY },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const sent = await relay.send(message({ to: ['tail-ok@example.net', 'bounce-tail@example.net'] }));
      const id = String(sent.body.id);
      await eventually(
        'both outcomes in the tail',
        () =>
          /tail-ok@example\.net +sent 250/.test(out) && /bounce-tail@example\.net +bounced 550 5\.1\.1 \(invalid-recipient\)/.test(out) ? true : undefined,
        30_000,
      );
      assert.ok(out.includes(id));
    } finally {
      child.kill();
    }
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
