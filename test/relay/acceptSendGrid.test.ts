// The SendGrid drop-in's use-case against the in-memory ports: its own key check, one message per
// personalization through the relay's accept, sandbox mode writing nothing, send_at as a delayed
// task, a refusal of any personalization queuing none, and what a storage failure half way leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptSendGridMail, type SendGridInput } from '../../src/relay/acceptSendGrid';
import { NotConfiguredError, SenderNotAllowedError, StorageUnavailableError, UnauthorizedError, ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';
import { deliverTask } from '../../src/relay/deliverTask';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const KEY = 'SG.test-key-for-the-drop-in';
const NOW = new Date('2026-12-01T12:00:00Z');
const TWO = {
  personalizations: [{ to: [{ email: 'a@example.net' }] }, { to: [{ email: 'b@example.net' }], subject: 'For B' }],
  from: { email: 'app@example.com' },
  subject: 'Hello',
  content: [{ type: 'text/plain', value: 'Hello there.' }],
};

function input(body: unknown, authorization: string | null = `Bearer ${KEY}`): SendGridInput {
  return { authorization, contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) };
}

const relayWithKey = () => new FakeRelay({ RELAY_SENDGRID_API_KEY: KEY }, NOW);

test('two personalizations are two messages, written as the send API writes them', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const answer = await acceptSendGridMail(relay.deps, input(TWO), new FakeLog());
  assert.equal(answer.sandbox, false);
  assert.equal(answer.ids.length, 2);
  assert.deepEqual(
    answer.ids.map((id) => relay.deliveries.row(id, id === answer.ids[0] ? 'a@example.net' : 'b@example.net')?.subject),
    ['Hello', 'For B'],
  );
  assert.deepEqual(
    relay.queue.tasks.map((t) => [t.task.messageId, t.task.recipient, t.delaySeconds]),
    [
      [answer.ids[0], 'a@example.net', 0],
      [answer.ids[1], 'b@example.net', 0],
    ],
  );
});

test('the key: unset is 503, missing, wrong or not a Bearer token is 401, and nothing is read', FILE_TIMEOUT, async () => {
  await assert.rejects(acceptSendGridMail(new FakeRelay({}, NOW).deps, input(TWO), new FakeLog()), NotConfiguredError);
  for (const authorization of [null, '', `Bearer ${KEY}x`, KEY, `Basic ${KEY}`, `Bearer ${KEY.toUpperCase()}`, 'Bearer ']) {
    const relay = relayWithKey();
    await assert.rejects(acceptSendGridMail(relay.deps, input(TWO, authorization), new FakeLog()), UnauthorizedError, String(authorization));
    assert.deepEqual(relay.calls, []);
  }
  const relay = relayWithKey();
  await acceptSendGridMail(relay.deps, input(TWO, `bearer ${KEY}`), new FakeLog());
  assert.equal(relay.queue.tasks.length, 2, 'the scheme is case-insensitive, as HTTP says');
});

test('sandbox mode checks everything and writes nothing', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const answer = await acceptSendGridMail(relay.deps, input({ ...TWO, mail_settings: { sandbox_mode: { enable: true } } }), new FakeLog());
  assert.equal(answer.sandbox, true);
  assert.equal(answer.ids.length, 2);
  assert.deepEqual(
    relay.calls.filter((c) => !c.startsWith('suppressions.find')),
    [],
    'only the suppression list is read',
  );
  await assert.rejects(
    acceptSendGridMail(relay.deps, input({ ...TWO, from: { email: 'app@example.org' }, mail_settings: { sandbox_mode: { enable: true } } }), new FakeLog()),
    SenderNotAllowedError,
  );
});

test('send_at: the tasks wait until then and the rows say when', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const at = NOW.getTime() / 1000 + 7200;
  const answer = await acceptSendGridMail(relay.deps, input({ ...TWO, send_at: at }), new FakeLog());
  assert.deepEqual(
    relay.queue.tasks.map((t) => t.delaySeconds),
    [7200, 7200],
  );
  const row = relay.deliveries.row(answer.ids[0], 'a@example.net');
  assert.equal(row?.nextAttemptAt?.toISOString(), '2026-12-01T14:00:00.000Z');
  assert.equal(row?.sendAt?.toISOString(), '2026-12-01T14:00:00.000Z', 'its retries count from then');
});

test('any personalization refused: none is queued', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  const body = { ...TWO, personalizations: [TWO.personalizations[0], { to: [{ email: 'b@example.net' }], from: { email: 'x@example.org' } }] };
  await assert.rejects(acceptSendGridMail(relay.deps, input(body), new FakeLog()), SenderNotAllowedError);
  await assert.rejects(acceptSendGridMail(relay.deps, input({ ...TWO, template_id: 'd-1' }), new FakeLog()), ValidationError);
  assert.equal(relay.queue.tasks.length, 0);
  assert.equal(relay.calls.filter((c) => c === 'deliveries.insertMessage').length, 0);
});

test('storage failing for one personalization: the answer names what was queued and what was not', FILE_TIMEOUT, async () => {
  const relay = relayWithKey();
  relay.fail('deliveries.insertMessage');
  const refused = await acceptSendGridMail(relay.deps, input(TWO), new FakeLog()).then(
    () => assert.fail('accepted'),
    (err: unknown) => err,
  );
  assert.ok(refused instanceof StorageUnavailableError);
  assert.match(refused.message, /^Storage did not accept personalizations 0; .*personalizations 1 were queued \([0-9a-f-]{36}\)/);
  assert.deepEqual(
    relay.queue.tasks.map((t) => t.task.recipient),
    ['b@example.net'],
    "the failed one's task is taken back",
  );
});

test('a scheduled send deferred at its time is retried: its retries count from send_at, not from the accept', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_SENDGRID_API_KEY: KEY, RELAY_MAX_RETRY_SECONDS: '3600' }, NOW);
  const answer = await acceptSendGridMail(relay.deps, input({ ...TWO, send_at: NOW.getTime() / 1000 + 2 * 86400 }), new FakeLog());
  relay.clock.advance(2 * 86400_000); // the queue hands the task over at send_at, two days after the accept
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 451, response: '451 try later' }];
  const task = relay.queue.tasks.find((t) => t.task.messageId === answer.ids[0])!.task;
  await deliverTask(relay.deps, task, new FakeLog());
  assert.equal(relay.deliveries.row(answer.ids[0], 'a@example.net')?.status, 'deferred', 'not failed as if it had waited two days for nothing');
});
