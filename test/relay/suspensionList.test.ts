// The suspension endpoints' use-cases against the in-memory ports: list, put (created, replaced, a
// slow-down, until or duration), lift; every refusal names its field and changes nothing; storage
// failures are 503.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, PayloadTooLargeError, StorageUnavailableError, UnprocessableError, UnsupportedMediaTypeError, ValidationError } from '../../src/errors';
import { liftSuspension, listSuspensions, putSuspension } from '../../src/relay/suspensionList';
import { FakeLog, FakeRelay } from '../support/fakes';
import { reactionPolicy } from '../support/reactionPolicy';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const START = new Date('2026-03-01T10:00:00.000Z');
const JSON_TYPE = 'application/json';

function relay() {
  const r = new FakeRelay({}, START);
  r.config.policy = reactionPolicy();
  return r;
}

const body = (value: unknown, contentType: string | null = JSON_TYPE) => ({
  contentType,
  body: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

test('put a suspension by duration: 201 the first time, 200 when replaced; the list shows it', FILE_TIMEOUT, async () => {
  const r = relay();
  const log = new FakeLog();
  const first = await putSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [], body({ reason: 'carrier asked us to', duration: '2h' }), log);
  assert.equal(first.created, true);
  assert.deepEqual(first.suspension, {
    kind: 'destination',
    name: 'yahoo-jp',
    reason: 'carrier asked us to',
    source: 'manual',
    rule: null,
    rateFactor: null,
    createdAt: START.toISOString(),
    until: '2026-03-01T12:00:00.000Z',
  });
  assert.match(log.text(), /warn: destination yahoo-jp suspended until 2026-03-01T12:00:00\.000Z by an operator \(created\)/);
  const again = await putSuspension(
    r.deps,
    { kind: 'destination', name: 'yahoo-jp' },
    [['code', 'the-key']],
    body({ reason: 'slower', until: '2026-03-01T20:30:00+09:00', rateFactor: 0.25 }),
    log,
  );
  assert.equal(again.created, false);
  assert.equal(again.suspension.until, '2026-03-01T11:30:00.000Z');
  assert.equal(again.suspension.rateFactor, 0.25);
  assert.deepEqual(await listSuspensions(r.deps, []), { items: [again.suspension] });
});

test('the smart host "default" can be suspended; the list leaves out what has ended', FILE_TIMEOUT, async () => {
  const r = relay();
  await putSuspension(r.deps, { kind: 'smartHost', name: 'default' }, [], body({ reason: 'quota', duration: '30m' }), new FakeLog());
  await putSuspension(r.deps, { kind: 'destination', name: 'gmail' }, [], body({ reason: 'x', duration: '90s' }), new FakeLog());
  assert.deepEqual(
    (await listSuspensions(r.deps, [])).items.map((s) => `${s.kind}:${s.name}`),
    ['destination:gmail', 'smartHost:default'],
  );
  r.clock.advance(91_000);
  assert.deepEqual(
    (await listSuspensions(r.deps, [])).items.map((s) => `${s.kind}:${s.name}`),
    ['smartHost:default'],
  );
});

test('a smart host of the policy besides "default" can be suspended too; an unknown one is named in the 422', FILE_TIMEOUT, async () => {
  const r = relay();
  r.addSmartHost('domestic');
  const put = await putSuspension(r.deps, { kind: 'smartHost', name: 'domestic' }, [], body({ reason: 'maintenance', duration: '1h' }), new FakeLog());
  assert.equal(put.suspension.name, 'domestic');
  await assert.rejects(
    putSuspension(r.deps, { kind: 'smartHost', name: 'acs' }, [], body({ reason: 'x', duration: '1h' }), new FakeLog()),
    (err: Error) => err instanceof UnprocessableError && /"default", "domestic"/.test(err.message),
  );
});

test('lift: 204 once, then 404; an ended suspension is not there to lift', FILE_TIMEOUT, async () => {
  const r = relay();
  const log = new FakeLog();
  await putSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [], body({ reason: 'x', duration: '1h' }), log);
  await liftSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [], log);
  assert.match(log.text(), /destination yahoo-jp: suspension lifted by an operator/);
  await assert.rejects(liftSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [], log), NotFoundError);
  await putSuspension(r.deps, { kind: 'destination', name: 'gmail' }, [], body({ reason: 'x', duration: '1m' }), log);
  r.clock.advance(60_000);
  await assert.rejects(liftSuspension(r.deps, { kind: 'destination', name: 'gmail' }, [], log), /destination "gmail" is not suspended/);
  // a name the policy no longer has may still be lifted (404 here only because none is in force)
  await assert.rejects(liftSuspension(r.deps, { kind: 'destination', name: 'renamed-since' }, [], log), NotFoundError);
});

const REFUSALS: [string, { kind: string; name: string }, ReturnType<typeof body>, new (...a: never[]) => Error, string?][] = [
  ['an unknown kind', { kind: 'carrier', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h' }), NotFoundError, 'kind'],
  ['a destination the policy does not have', { kind: 'destination', name: 'docomo' }, body({ reason: 'x', duration: '1h' }), UnprocessableError, 'name'],
  ['a smart host other than default', { kind: 'smartHost', name: 'acs' }, body({ reason: 'x', duration: '1h' }), UnprocessableError, 'name'],
  ['a name with CR LF', { kind: 'destination', name: 'yahoo-jp\r\n' }, body({ reason: 'x', duration: '1h' }), ValidationError, 'name'],
  ['a name of 101', { kind: 'destination', name: 'x'.repeat(101) }, body({ reason: 'x', duration: '1h' }), ValidationError, 'name'],
  ['no reason', { kind: 'destination', name: 'yahoo-jp' }, body({ duration: '1h' }), ValidationError, 'reason'],
  ['a reason with LF', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'a\nb', duration: '1h' }), ValidationError, 'reason'],
  ['no end', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x' }), ValidationError, 'until'],
  ['both ends', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h', until: '2026-03-01T11:00:00Z' }), ValidationError, 'duration'],
  ['until in the past', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', until: '2026-03-01T09:00:00Z' }), ValidationError, 'until'],
  ['until without an offset', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', until: '2026-03-01T11:00:00' }), ValidationError, 'until'],
  ['until beyond 30 days', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', until: '2026-04-01T10:00:00Z' }), ValidationError, 'until'],
  ['a duration beyond 30 days', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '31d' }), ValidationError, 'duration'],
  ['a duration without a unit', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '3600' }), ValidationError, 'duration'],
  ['a zero duration', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '0h' }), ValidationError, 'duration'],
  ['a number for a duration', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: 3600 }), ValidationError, 'duration'],
  ['a rateFactor of 1', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h', rateFactor: 1 }), ValidationError, 'rateFactor'],
  ['a rateFactor of 0', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h', rateFactor: 0 }), ValidationError, 'rateFactor'],
  ['a rateFactor as text', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h', rateFactor: '0.5' }), ValidationError, 'rateFactor'],
  ['an unknown field', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h', source: 'reaction' }), ValidationError, 'source'],
  ['not JSON', { kind: 'destination', name: 'yahoo-jp' }, body('{"reason":'), ValidationError, '(body)'],
  ['an array', { kind: 'destination', name: 'yahoo-jp' }, body('[]'), ValidationError, '(body)'],
  ['text/plain', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h' }, 'text/plain'), UnsupportedMediaTypeError],
  ['oversize', { kind: 'destination', name: 'yahoo-jp' }, body({ reason: 'x', duration: '1h', pad: 'x'.repeat(20_000) }), PayloadTooLargeError],
];

test('refusals name the field and store nothing', FILE_TIMEOUT, async () => {
  for (const [what, path, input, type, field] of REFUSALS) {
    const r = relay();
    await assert.rejects(
      putSuspension(r.deps, path, [], input, new FakeLog()),
      (err: unknown) => {
        assert.ok(err instanceof type, `${what}: ${String(err)}`);
        if (field) assert.ok((err as ValidationError).errors.some((e) => e.field === field) && err.message.includes(field), `${what}: names ${field}`);
        return true;
      },
      what,
    );
    assert.equal(r.suspensions.entries.size, 0, what);
    assert.ok(!r.calls.includes('suspensions.put'), what);
  }
});

test('an unknown query parameter is refused on each endpoint; Azure\'s "code" is not', FILE_TIMEOUT, async () => {
  const r = relay();
  await assert.rejects(listSuspensions(r.deps, [['kind', 'destination']]), ValidationError);
  await assert.rejects(
    putSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [['x', '1']], body({ reason: 'x', duration: '1h' }), new FakeLog()),
    ValidationError,
  );
  await assert.rejects(liftSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [['x', '1']], new FakeLog()), ValidationError);
  assert.deepEqual(await listSuspensions(r.deps, [['code', 'k']]), { items: [] });
});

test('storage failing is 503 for each endpoint', FILE_TIMEOUT, async () => {
  const r = relay();
  r.fail('suspensions.list');
  await assert.rejects(listSuspensions(r.deps, []), StorageUnavailableError);
  r.fail('suspensions.put');
  await assert.rejects(
    putSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [], body({ reason: 'x', duration: '1h' }), new FakeLog()),
    StorageUnavailableError,
  );
  r.fail('suspensions.lift');
  await assert.rejects(liftSuspension(r.deps, { kind: 'destination', name: 'yahoo-jp' }, [], new FakeLog()), StorageUnavailableError);
});
