// Bad input to the ACS Email drop-in (POST /emails:send, GET /emails/operations/{id}): requests the
// access key did not sign as sent (unsigned, another key, stale or future dates, a body or hash
// changed after signing, signed for another URL), then signed requests that are malformed. Kept apart
// from the other endpoints' cases so that the shared suite files each gain one line.
import fc from 'fast-check';
import { FUNCTION_KEY } from '../support/relayHarness';
import { LIMIT_BYTES } from './badInputCorpus';
import type { Case } from './endpointBadInputCorpus';
import type { Generated } from './endpointBadInputMutations';
import { ACS_SEND_PATH, acsEmail, type Fixtures } from './endpointTable';

const JSON_TYPE = { 'content-type': 'application/json' };
const OTHER_KEY = Buffer.from('a-key-the-relay-does-not-hold-for-acs-01234').toString('base64');
const MINUTE = 60_000;
const ABSENT_ID = '0190a0b0-0000-7000-8000-000000000000';

/** Every credential and malformed case for the two ACS endpoints. */
export function acsCases(f: Fixtures): Case[] {
  const body = acsEmail();
  const send = (
    name: string,
    status: number,
    headers: Record<string, string>,
    requestBody: string | Buffer = body,
    path = ACS_SEND_PATH,
    field?: string,
  ): Case => ({
    name: `ACS send, ${name}`,
    endpoint: 'sendAcsEmail',
    method: 'POST',
    path,
    key: null,
    headers: { ...JSON_TYPE, ...headers },
    body: requestBody,
    status,
    field,
  });
  const signedSend = (name: string, status: number, requestBody: string | Buffer, field?: string, extra: Record<string, string> = {}, path = ACS_SEND_PATH) =>
    send(name, status, { ...f.acsSigned('POST', path, requestBody), ...extra }, requestBody, path, field);
  const signed = f.acsSigned('POST', ACS_SEND_PATH, body);
  const ago = (ms: number) => ({ date: new Date(Date.now() - ms) });
  const poll = (id: string, version = '2025-09-01') => `/emails/operations/${id}?api-version=${version}`;
  const get = (name: string, status: number, path: string, headers: Record<string, string>): Case => ({
    name: `ACS operation, ${name}`,
    endpoint: 'getAcsEmailOperation',
    method: 'GET',
    path,
    key: null,
    headers,
    status,
  });
  return [
    send('unsigned', 401, {}),
    { ...send("the sender's function key instead", 401, {}), key: FUNCTION_KEY },
    send('signed with another key', 401, f.acsSigned('POST', ACS_SEND_PATH, body, { key: OTHER_KEY })),
    send('signed 20 minutes ago', 401, f.acsSigned('POST', ACS_SEND_PATH, body, ago(20 * MINUTE))),
    send('signed for 20 minutes ahead', 401, f.acsSigned('POST', ACS_SEND_PATH, body, ago(-20 * MINUTE))),
    send('the body changed after signing', 401, signed, body.replace('must-not-arrive', 'must-not-arrive-either')),
    send('the content hash changed', 401, { ...signed, 'x-ms-content-sha256': f.acsSigned('POST', ACS_SEND_PATH, '{}')['x-ms-content-sha256'] }),
    send('signed for the other api-version', 401, f.acsSigned('POST', '/emails:send?api-version=2023-03-31', body)),
    send('a Bearer token', 401, { authorization: 'Bearer not-an-acs-key' }),
    send('8 MB unsigned', 401, {}, 'x'.repeat(8 * 1024 * 1024)),
    signedSend('not JSON', 400, '{"senderAddress": ', '(body)'),
    signedSend('an array', 400, '[]', '(body)'),
    signedSend('no content', 400, acsEmail({ content: undefined }), 'content'),
    signedSend('no body text', 400, acsEmail({ content: { subject: 'x' } }), 'content'),
    signedSend('an unknown field', 400, acsEmail({ template: 'x' }), 'template'),
    signedSend('a bad recipient', 400, acsEmail({ recipients: { to: [{ address: 'a@b@example.net' }] } }), 'recipients.to[0]'),
    signedSend('a CR LF in the subject', 400, acsEmail({ content: { subject: 'x\r\nBcc: a@example.net', plainText: 'x' } }), 'content.subject'),
    signedSend(
      'an attachment not base64',
      400,
      acsEmail({ attachments: [{ name: 'a.txt', contentType: 'text/plain', contentInBase64: '!!' }] }),
      'attachments[0].contentInBase64',
    ),
    signedSend('an Operation-Id not a UUID', 400, body, 'Operation-Id', { 'operation-id': 'not-a-uuid' }),
    signedSend('an unsupported api-version', 400, body, 'api-version', {}, '/emails:send?api-version=2021-10-01-preview'),
    signedSend('no api-version', 400, body, 'api-version', {}, '/emails:send'),
    signedSend('a sender domain not allowed', 403, acsEmail({ senderAddress: 'app@not-allowed.example' })),
    signedSend('text/plain', 415, body, undefined, { 'content-type': 'text/plain' }),
    signedSend('over RELAY_MAX_MESSAGE_BYTES', 413, acsEmail({ content: { subject: 'x', plainText: 'x'.repeat(LIMIT_BYTES) } })),
    get('unsigned', 401, poll(f.messageId), {}),
    get('with the function key only', 401, `${poll(f.messageId)}&code=${FUNCTION_KEY}`, {}),
    get('signed with another key', 401, poll(f.messageId), f.acsSigned('GET', poll(f.messageId), '', { key: OTHER_KEY })),
    get('signed 20 minutes ago', 401, poll(f.messageId), f.acsSigned('GET', poll(f.messageId), '', ago(20 * MINUTE))),
    get('signed for another operation', 401, poll(f.messageId), f.acsSigned('GET', poll(ABSENT_ID))),
    get('an id no message has', 404, poll(ABSENT_ID), f.acsSigned('GET', poll(ABSENT_ID))),
    get('an id that is no id', 404, poll('not-an-id'), f.acsSigned('GET', poll('not-an-id'))),
    get('an unsupported api-version', 400, poll(f.messageId, '2099-01-01'), f.acsSigned('GET', poll(f.messageId, '2099-01-01'))),
  ];
}

/** Generated bad requests for each ACS endpoint, one arbitrary apiece so that each gets its share. */
export function acsGenerated(f: Fixtures): fc.Arbitrary<Generated>[] {
  const send = fc
    .oneof(
      // a byte more anywhere after signing
      fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, extra]) => {
        const body = acsEmail();
        const i = at % (body.length + 1);
        return { body: `${body.slice(0, i)}${extra}${body.slice(i)}`, headers: f.acsSigned('POST', ACS_SEND_PATH, body), status: [401] };
      }),
      fc.stringMatching(/^[A-Za-z0-9+/=%&]{0,80}$/).map((signature) => {
        const body = acsEmail();
        const headers = f.acsSigned('POST', ACS_SEND_PATH, body);
        return { body, headers: { ...headers, authorization: headers.authorization.replace(/Signature=.*/, `Signature=${signature}`) }, status: [401] };
      }),
      fc.integer({ min: 16 * MINUTE, max: 100 * 24 * 60 * MINUTE }).chain((age) =>
        fc.constantFrom(-age, age).map((offset) => {
          const body = acsEmail();
          return { body, headers: f.acsSigned('POST', ACS_SEND_PATH, body, { date: new Date(Date.now() - offset) }), status: [401] };
        }),
      ),
      // signed, but no EmailMessage
      fc
        .oneof(
          fc
            .jsonValue()
            .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
            .map((v) => JSON.stringify(v)),
          fc.string().map((s) => `{${s}`),
          fc.tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.jsonValue()).map(([name, value]) => acsEmail({ [`zz${name}`]: value })),
        )
        .map((body) => ({ body, headers: f.acsSigned('POST', ACS_SEND_PATH, body), status: [400] })),
    )
    .map(({ body, headers, status }) => ({
      endpoint: 'sendAcsEmail',
      kind: 'a bad send',
      ask: { method: 'POST', path: ACS_SEND_PATH, key: null, headers: { ...JSON_TYPE, ...headers }, body },
      status,
    }));
  const operation = fc
    .oneof(
      // signed correctly for an id that is not a message's
      fc.string({ minLength: 1, maxLength: 60 }).map((id) => {
        const path = `/emails/operations/${encodeURIComponent(id)}?api-version=2025-09-01`;
        return { path, headers: f.acsSigned('GET', path), status: [404] };
      }),
      fc.stringMatching(/^[\x21-\x7e]{0,60}$/).map((authorization) => {
        const path = `/emails/operations/${f.messageId}?api-version=2025-09-01`;
        return { path, headers: { ...f.acsSigned('GET', path), authorization }, status: [401] };
      }),
    )
    .map(({ path, headers, status }) => ({ endpoint: 'getAcsEmailOperation', kind: 'a bad poll', ask: { method: 'GET', path, key: null, headers }, status }));
  return [send, operation];
}
