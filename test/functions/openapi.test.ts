// The OpenAPI document against the running app: it lists exactly the routes the app registers (the
// endpoint table is itself held to the app's registrations by test/faults/endpointBadInput.test.ts),
// every request example is accepted, every documented error answer is produced here, and every answer
// seen matches the schema the document gives for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { newMessageId } from '../../src/core/ids';
import { signUnsubscribeToken } from '../../src/core/unsubscribeToken';
import { ENDPOINTS } from '../faults/endpointTable';
import { ADMIN_KEY, message, type HttpAnswer, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { sendGridSigner } from '../support/sendGridSigning';
import { acsSignedHeadersAt } from '../support/acsSigning';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const ACS_SECRET = 'acs-events-secret-for-the-openapi-tests-0123';
const UNSUBSCRIBE_SECRET = 'unsubscribe-secret-for-the-openapi-tests-0123';
const SENDGRID_KEY = 'SG.openapi-tests-sendgrid-key-0123456789';
const ACS_KEY = Buffer.from('openapi-tests-acs-access-key-0123456789abcdef').toString('base64');
const sendGrid = sendGridSigner();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Call {
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  key?: string | null;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'patch'];
const SENDGRID_BODY = {
  personalizations: [{ to: [{ email: 'taro@example.net' }] }],
  from: { email: 'app@example.jp' },
  subject: 's',
  content: [{ type: 'text/plain', value: 't' }],
};
const ACS_BODY = { senderAddress: 'app@example.jp', content: { subject: 's', plainText: 't' }, recipients: { to: [{ address: 'taro@example.net' }] } };
const pointer = (...parts: string[]) => `#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

describe('GET /api/v1/openapi.json', FILE_TIMEOUT, () => {
  let relay: RelayHarness;
  let doc: Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const token = () =>
    signUnsubscribeToken(
      { recipient: 'taro@example.net', senderDomain: 'example.jp', messageId: newMessageId(new Date()), issuedAt: new Date() },
      UNSUBSCRIBE_SECRET,
    );

  before(async () => {
    relay = await startRelayHarness({
      env: {
        RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: sendGrid.publicKeySetting,
        RELAY_ACS_EVENTS_SECRET: ACS_SECRET,
        RELAY_UNSUBSCRIBE_SECRET: UNSUBSCRIBE_SECRET,
        RELAY_SENDGRID_API_KEY: SENDGRID_KEY,
        RELAY_ACS_ACCESS_KEY: ACS_KEY,
      },
    });
    const answer = await relay.request<Json>('GET', '/api/v1/openapi.json', { key: null });
    assert.equal(answer.status, 200, 'served without a key');
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    doc = answer.body;
    ajv.addSchema({ ...doc, $id: 'openapi' });
  });
  after(async () => {
    await relay?.stop();
  });

  function operations(): { path: string; method: string; op: Json }[] {
    return Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Json })),
    );
  }

  /** Checks an answer against what the document says the operation answers with that status. */
  function conforms(path: string, method: string, answer: HttpAnswer<unknown>): void {
    const responses = (doc.paths as Record<string, Record<string, Json>>)[path][method].responses as Json;
    const documented = responses[String(answer.status)] as Json | undefined;
    assert.ok(documented, `${method.toUpperCase()} ${path} answered ${answer.status}, which the document does not list: ${answer.text.slice(0, 200)}`);
    const base = documented.$ref
      ? pointer('components', 'responses', String(documented.$ref).split('/').pop() ?? '')
      : pointer('paths', path, method, 'responses', String(answer.status));
    const response = documented.$ref
      ? ((doc.components as Record<string, Json>).responses[String(documented.$ref).split('/').pop() ?? ''] as Json)
      : documented;
    const content = response.content as Json | undefined;
    if (!content) return;
    const type = answer.headers.get('content-type') ?? '';
    const mediaType = Object.keys(content).find((m) => type.startsWith(m));
    assert.ok(mediaType, `${method} ${path} ${answer.status} is ${type}, the document says ${Object.keys(content).join(' or ')}`);
    if (!mediaType.includes('json')) return;
    const validate = ajv.getSchema(`openapi${base}/content/${mediaType.replace(/\//g, '~1')}/schema`);
    assert.ok(validate, 'the schema compiles');
    assert.ok(validate(answer.body), `${method.toUpperCase()} ${path} ${answer.status}: ${ajv.errorsText(validate.errors)}`);
  }

  test('it is OpenAPI 3.1 with exactly the routes the app registers, each with an id and answers', () => {
    assert.equal(doc.openapi, '3.1.0');
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    const registered = ENDPOINTS.flatMap((e) => e.methods.map((m) => `${m} /${e.route}`));
    assert.deepEqual([...documented].sort(), [...registered].sort());
    const ids = operations().map(({ op }) => String(op.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
    for (const { op } of operations()) assert.ok(Object.keys(op.responses as Json).length > 0, `${String(op.operationId)} documents its answers`);
    for (const name of Object.keys((doc.components as Record<string, Json>).schemas))
      assert.ok(ajv.getSchema(`openapi${pointer('components', 'schemas', name)}`), `${name} compiles`);
  });

  /** How to send an operation's example: its path parameters and credentials. */
  const EXAMPLE_CALLS: Record<string, (example: unknown) => Call> = {
    sendMessage: (e) => ({ method: 'POST', path: '/api/v1/messages', body: JSON.stringify(e), headers: { 'content-type': 'application/json' } }),
    putSuppression: (e) => ({
      method: 'PUT',
      path: '/api/v1/suppressions/taro@example.net',
      body: JSON.stringify(e),
      headers: { 'content-type': 'application/json' },
      key: ADMIN_KEY,
    }),
    pauseSender: (e) => ({
      method: 'POST',
      path: '/api/v1/senders/example.jp/pause',
      body: JSON.stringify(e),
      headers: { 'content-type': 'application/json' },
      key: ADMIN_KEY,
    }),
    receiveDsn: (e) => ({ method: 'POST', path: '/api/v1/events/dsn', body: String(e), headers: { 'content-type': 'message/rfc822' }, key: ADMIN_KEY }),
    receiveSendGridEvents: (e) => ({
      method: 'POST',
      path: '/api/v1/events/sendgrid',
      body: JSON.stringify(e),
      headers: sendGrid.signed(JSON.stringify(e)),
      key: null,
    }),
    receiveAcsEvents: (e) => ({
      method: 'POST',
      path: '/api/v1/events/acs',
      body: JSON.stringify(e),
      headers: { 'content-type': 'application/json', 'x-relay-events-secret': ACS_SECRET },
      key: null,
    }),
    requeuePoison: (e) => ({
      method: 'POST',
      path: '/api/v1/poison/requeue',
      body: JSON.stringify(e),
      headers: { 'content-type': 'application/json' },
      key: ADMIN_KEY,
    }),
    putSuspension: (e) => ({
      method: 'PUT',
      path: '/api/v1/suspensions/destination/jp-docomo',
      body: JSON.stringify(e),
      headers: { 'content-type': 'application/json' },
      key: ADMIN_KEY,
    }),
    sendGridMailSend: (e) => sendGridCall(JSON.stringify(e)),
    sendAcsEmail: (e) => acs('POST', '/emails:send?api-version=2025-09-01', JSON.stringify(e)),
    unsubscribeOneClick: (e) => ({
      method: 'POST',
      path: `/api/v1/unsubscribe/${token()}`,
      body: String(e),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      key: null,
    }),
  };

  const acs = (method: string, path: string, body = '', key = ACS_KEY): Call => ({
    method,
    path,
    body: body || undefined,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...acsSignedHeadersAt(key, method, `${relay.url}${path}`, body, new Date()) },
    key: null,
  });
  const sendGridCall = (body: string, key = SENDGRID_KEY, type = 'application/json'): Call => ({
    method: 'POST',
    path: '/api/sendgrid/v3/mail/send',
    body,
    headers: { 'content-type': type, authorization: `Bearer ${key}` },
    key: null,
  });

  const send = (call: Call) => relay.request<unknown>(call.method, call.path, { body: call.body, headers: call.headers, key: call.key });

  test('every request example is accepted, and its answer matches the document', async () => {
    let sent = 0;
    for (const { path, method, op } of operations()) {
      const content = (op.requestBody as Json | undefined)?.content as Json | undefined;
      for (const media of Object.values(content ?? {}) as Json[]) {
        for (const [name, example] of Object.entries((media.examples ?? {}) as Json)) {
          const call = EXAMPLE_CALLS[String(op.operationId)];
          assert.ok(call, `${String(op.operationId)} has examples: say how to send them`);
          const answer = await send(call((example as Json).value));
          assert.ok(
            answer.status >= 200 && answer.status < 300,
            `${String(op.operationId)} example "${name}" answered ${answer.status}: ${answer.text.slice(0, 300)}`,
          );
          conforms(path, method, answer);
          sent++;
        }
      }
    }
    assert.ok(sent >= Object.keys(EXAMPLE_CALLS).length, 'every example recipe was used');
  });

  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const admin = (method: string, path: string, extra: Partial<Call> = {}): Call => ({ method, path, key: ADMIN_KEY, ...extra });
  const noKey = (method: string, path: string): Call => ({ method, path, key: null });

  /** One request that produces each documented error answer, by "operationId status". */
  const ERROR_CALLS: Record<string, () => Call> = {
    'sendMessage 400': () => ({ method: 'POST', path: '/api/v1/messages', body: '{', headers: { 'content-type': 'application/json' } }),
    'sendMessage 401': () => noKey('POST', '/api/v1/messages'),
    'sendMessage 403': () => ({ method: 'POST', path: '/api/v1/messages', ...json(message({ from: 'app@elsewhere.example' })) }),
    'sendMessage 409': () => ({
      method: 'POST',
      path: '/api/v1/messages',
      body: JSON.stringify(message({ subject: 'other' })),
      headers: { 'content-type': 'application/json', 'idempotency-key': 'openapi-409' },
    }),
    'sendMessage 413': () => ({ method: 'POST', path: '/api/v1/messages', ...json(message({ text: 'x'.repeat(11 * 1024 * 1024) })) }),
    'sendMessage 415': () => ({ method: 'POST', path: '/api/v1/messages', body: 'hello', headers: { 'content-type': 'text/plain' } }),
    'getMessageStatus 401': () => noKey('GET', '/api/v1/messages/x'),
    'getMessageStatus 404': () => ({ method: 'GET', path: '/api/v1/messages/no-such-message' }),
    'listSuppressions 400': () => admin('GET', '/api/v1/suppressions?limit=0'),
    'listSuppressions 401': () => noKey('GET', '/api/v1/suppressions'),
    'getSuppression 400': () => admin('GET', '/api/v1/suppressions/a%09b@example.net'),
    'getSuppression 401': () => noKey('GET', '/api/v1/suppressions/taro@example.net'),
    'getSuppression 404': () => admin('GET', '/api/v1/suppressions/nobody-here@example.net'),
    'putSuppression 400': () => admin('PUT', '/api/v1/suppressions/taro@example.net', json({})),
    'putSuppression 401': () => noKey('PUT', '/api/v1/suppressions/taro@example.net'),
    'putSuppression 413': () => admin('PUT', '/api/v1/suppressions/taro@example.net', json({ reason: 'x'.repeat(20_000) })),
    'putSuppression 415': () => admin('PUT', '/api/v1/suppressions/taro@example.net', { body: 'reason', headers: { 'content-type': 'text/plain' } }),
    'deleteSuppression 400': () => admin('DELETE', '/api/v1/suppressions/a%09b@example.net'),
    'deleteSuppression 401': () => noKey('DELETE', '/api/v1/suppressions/taro@example.net'),
    'deleteSuppression 404': () => admin('DELETE', '/api/v1/suppressions/nobody-here@example.net'),
    'getSenderStatus 400': () => admin('GET', '/api/v1/senders/not_a_domain'),
    'getSenderStatus 401': () => noKey('GET', '/api/v1/senders/example.jp'),
    'getSenderStatus 404': () => admin('GET', '/api/v1/senders/elsewhere.example'),
    'pauseSender 400': () => admin('POST', '/api/v1/senders/example.com/pause', json({ reason: '' })),
    'pauseSender 401': () => noKey('POST', '/api/v1/senders/example.com/pause'),
    'pauseSender 404': () => admin('POST', '/api/v1/senders/elsewhere.example/pause', json({ reason: 'r' })),
    'pauseSender 413': () => admin('POST', '/api/v1/senders/example.com/pause', json({ reason: 'x'.repeat(5000) })),
    'pauseSender 415': () => admin('POST', '/api/v1/senders/example.com/pause', { body: 'r', headers: { 'content-type': 'text/plain' } }),
    'resumeSender 400': () => admin('POST', '/api/v1/senders/not_a_domain/resume'),
    'resumeSender 401': () => noKey('POST', '/api/v1/senders/example.jp/resume'),
    'resumeSender 404': () => admin('POST', '/api/v1/senders/elsewhere.example/resume'),
    'receiveDsn 400': () => admin('POST', '/api/v1/events/dsn', { body: Buffer.from([0, 1, 2]), headers: { 'content-type': 'message/rfc822' } }),
    'receiveDsn 401': () => noKey('POST', '/api/v1/events/dsn'),
    'receiveDsn 413': () => admin('POST', '/api/v1/events/dsn', { body: 'x'.repeat(1024 * 1024 + 1), headers: { 'content-type': 'message/rfc822' } }),
    'receiveDsn 415': () => admin('POST', '/api/v1/events/dsn', { body: 'x', headers: { 'content-type': 'text/plain' } }),
    'receiveDsn 422': () =>
      admin('POST', '/api/v1/events/dsn', {
        body: 'From: a@example.net\r\nSubject: hi\r\n\r\nnot a report\r\n',
        headers: { 'content-type': 'message/rfc822' },
      }),
    'getStats 400': () => admin('GET', '/api/v1/stats?hours=0'),
    'getStats 401': () => noKey('GET', '/api/v1/stats'),
    'dashboard 401': () => noKey('GET', '/api/dashboard'),
    'receiveSendGridEvents 400': () => ({
      method: 'POST',
      path: '/api/v1/events/sendgrid',
      body: '{"not":"an array"}',
      headers: sendGrid.signed('{"not":"an array"}'),
      key: null,
    }),
    'receiveSendGridEvents 401': () => ({
      method: 'POST',
      path: '/api/v1/events/sendgrid',
      body: '[]',
      headers: sendGrid.signed('[]', { key: sendGrid.otherKey }),
      key: null,
    }),
    'receiveAcsEvents 400': () => ({
      method: 'POST',
      path: '/api/v1/events/acs',
      body: '{}',
      headers: { 'content-type': 'application/json', 'x-relay-events-secret': ACS_SECRET },
      key: null,
    }),
    'receiveAcsEvents 401': () => ({
      method: 'POST',
      path: '/api/v1/events/acs',
      body: '[]',
      headers: { 'content-type': 'application/json', 'x-relay-events-secret': 'wrong' },
      key: null,
    }),
    'receiveAcsEventsHandshake 400': () => noKey('OPTIONS', '/api/v1/events/acs'),
    'listMessages 400': () => admin('GET', '/api/v1/messages?limit=0'),
    'listMessages 401': () => noKey('GET', '/api/v1/messages'),
    'listPoison 400': () => admin('GET', '/api/v1/poison?limit=0'),
    'listPoison 401': () => noKey('GET', '/api/v1/poison'),
    'requeuePoison 400': () => admin('POST', '/api/v1/poison/requeue', json({})),
    'requeuePoison 401': () => noKey('POST', '/api/v1/poison/requeue'),
    'requeuePoison 413': () => admin('POST', '/api/v1/poison/requeue', json({ ids: ['x'.repeat(20_000)] })),
    'requeuePoison 415': () => admin('POST', '/api/v1/poison/requeue', { body: 'all', headers: { 'content-type': 'text/plain' } }),
    'listSuspensions 400': () => admin('GET', '/api/v1/suspensions?kind=planet'),
    'listSuspensions 401': () => noKey('GET', '/api/v1/suspensions'),
    'putSuspension 400': () => admin('PUT', '/api/v1/suspensions/destination/jp-au', json({})),
    'putSuspension 401': () => noKey('PUT', '/api/v1/suspensions/destination/jp-au'),
    'putSuspension 404': () => admin('PUT', '/api/v1/suspensions/planet/jp-au', json({ reason: 'r', duration: '1h' })),
    'putSuspension 413': () => admin('PUT', '/api/v1/suspensions/destination/jp-au', json({ reason: 'x'.repeat(20_000), duration: '1h' })),
    'putSuspension 415': () => admin('PUT', '/api/v1/suspensions/destination/jp-au', { body: 'r', headers: { 'content-type': 'text/plain' } }),
    'putSuspension 422': () => admin('PUT', '/api/v1/suspensions/destination/jp-nowhere', json({ reason: 'r', duration: '1h' })),
    'deleteSuspension 401': () => noKey('DELETE', '/api/v1/suspensions/destination/jp-au'),
    'deleteSuspension 404': () => admin('DELETE', '/api/v1/suspensions/destination/jp-au'),
    'sendGridMailSend 400': () => sendGridCall(JSON.stringify({ ...SENDGRID_BODY, template_id: 'd-1' })),
    'sendGridMailSend 401': () => sendGridCall(JSON.stringify(SENDGRID_BODY), 'SG.wrong-key-0123456789'),
    'sendGridMailSend 403': () => sendGridCall(JSON.stringify({ ...SENDGRID_BODY, from: { email: 'app@elsewhere.example' } })),
    'sendGridMailSend 413': () => sendGridCall(JSON.stringify({ ...SENDGRID_BODY, content: [{ type: 'text/plain', value: 'x'.repeat(11 * 1024 * 1024) }] })),
    'sendGridMailSend 415': () => sendGridCall('x', SENDGRID_KEY, 'text/plain'),
    'sendAcsEmail 400': () => acs('POST', '/emails:send?api-version=2020-01-01', JSON.stringify(ACS_BODY)),
    'sendAcsEmail 401': () =>
      acs('POST', '/emails:send?api-version=2025-09-01', JSON.stringify(ACS_BODY), Buffer.from('another-key-another-key-another-key').toString('base64')),
    'getAcsEmailOperation 401': () =>
      acs('GET', '/emails/operations/x?api-version=2025-09-01', '', Buffer.from('another-key-another-key-another-key').toString('base64')),
    'getAcsEmailOperation 404': () => acs('GET', '/emails/operations/no-such-operation?api-version=2025-09-01'),
    'unsubscribePage 404': () => noKey('GET', '/api/v1/unsubscribe/not-a-token'),
    'unsubscribeOneClick 404': () => noKey('POST', '/api/v1/unsubscribe/not-a-token'),
    'unsubscribeOneClick 413': () => ({
      method: 'POST',
      path: `/api/v1/unsubscribe/${token()}`,
      body: 'x'.repeat(5000),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      key: null,
    }),
  };

  test('every documented error answer is produced, with the documented body', async () => {
    // the first request of the Idempotency-Key that 409 reuses
    assert.equal((await relay.send(message(), { 'idempotency-key': 'openapi-409' })).status, 202);
    const documented = operations().flatMap(({ path, method, op }) =>
      Object.keys(op.responses as Json)
        .filter((status) => Number(status) >= 400)
        .map((status) => ({ key: `${String(op.operationId)} ${status}`, path, method, status: Number(status) })),
    );
    assert.deepEqual(
      documented.map((d) => d.key).filter((k) => !ERROR_CALLS[k]),
      [],
      'every documented error has a request here that produces it',
    );
    assert.deepEqual(
      Object.keys(ERROR_CALLS).filter((k) => !documented.some((d) => d.key === k)),
      [],
      'no request here is for an answer the document does not list',
    );
    for (const { key, path, method, status } of documented) {
      const answer = await send(ERROR_CALLS[key]());
      assert.equal(answer.status, status, `${key}: ${answer.text.slice(0, 300)}`);
      conforms(path, method, answer);
    }
  });
});
