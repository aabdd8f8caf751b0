// Credentials that are not the endpoint's: keys that are not its own for the keyed endpoints, then
// unsigned, forged and replayed SendGrid posts, missing and wrong ACS secrets and forged, altered or
// garbled unsubscribe tokens; and the malformed bodies that need the live signing key or secret.
import type { Case } from './endpointBadInputCorpus';
import { acsCases } from './endpointBadInputAcs';
import { sendGridCases } from './sendGridBadInput';
import { acsBounce, ENDPOINTS, type Fixtures, operatorKeyAttempts, senderKeyAttempts, sendGridBounce, withQuery } from './endpointTable';

/** Every keyed endpoint with keys that are not its own; the own-auth endpoints with forged credentials. */
export function credentialCases(f: Fixtures): Case[] {
  const cases: Case[] = [];
  for (const endpoint of ENDPOINTS) {
    const valid = endpoint.valid(f);
    const attempts = endpoint.caller === 'operator-key' ? operatorKeyAttempts() : endpoint.caller === 'sender-key' ? senderKeyAttempts() : [];
    for (const [what, { key, query }] of attempts) {
      const path = query ? withQuery(valid.path, query) : valid.path;
      cases.push({ ...valid, name: `${endpoint.name}, ${what}`, endpoint: endpoint.name, key, path, status: 401 });
    }
  }
  const body = sendGridBounce(f);
  const now = Math.floor(Date.now() / 1000);
  const sendGrid = (name: string, requestBody: string, headers: Record<string, string>, status: number): Case => ({
    name: `SendGrid, ${name}`,
    endpoint: 'receiveSendGridEvents',
    method: 'POST',
    path: '/api/v1/events/sendgrid',
    key: null,
    headers,
    body: requestBody,
    status,
  });
  const signed = (b: string) => f.signed(b);
  const NO_USE = '[{"event":"bounce"},{"email":"x@example.net"}]'; // no address, no event type
  const hugeStrings = JSON.stringify(Array.from({ length: 400_000 }, () => 'bounce'));
  cases.push(
    sendGrid('unsigned', body, { 'content-type': 'application/json' }, 401),
    sendGrid('signed by another key', body, f.signedBy(body, { other: true }), 401),
    sendGrid('signed for another body', body, signed(`${body} `), 401),
    sendGrid('a garbled signature', body, { ...signed(body), 'x-twilio-email-event-webhook-signature': '%%%not-base64%%%' }, 401),
    sendGrid('no timestamp', body, { ...signed(body), 'x-twilio-email-event-webhook-timestamp': '' }, 401),
    sendGrid('replayed an hour later', body, f.signedBy(body, { timestamp: now - 3600 }), 401),
    sendGrid('from two hours ahead', body, f.signedBy(body, { timestamp: now + 7200 }), 401),
    sendGrid('a timestamp not a number', body, { ...signed(body), 'x-twilio-email-event-webhook-timestamp': 'yesterday' }, 401),
    sendGrid('8 MB unsigned', 'x'.repeat(8 * 1024 * 1024), { 'content-type': 'application/json' }, 401),
    sendGrid('signed, not JSON', 'not json', signed('not json'), 400),
    sendGrid('signed, empty', '', signed(''), 400),
    sendGrid('signed, an object', '{"event":"bounce"}', signed('{"event":"bounce"}'), 400),
    sendGrid('signed, an array of strings', '["bounce"]', signed('["bounce"]'), 400),
    sendGrid('signed, an array of arrays', '[[1],[2]]', signed('[[1],[2]]'), 400),
    sendGrid('signed, a huge array of strings', hugeStrings, signed(hugeStrings), 400),
    // documented 2xx-and-ignored (docs/events.md): SendGrid would retry a refusal for a day
    {
      ...sendGrid('signed, events of no use', NO_USE, signed(NO_USE), 200),
      answer: { received: 2, applied: 0, unchanged: 0, unmatched: 0, skipped: 2 },
    },
  );
  const acs = (name: string, requestBody: string, secret: string | null, status: number, query = ''): Case => ({
    name: `ACS, ${name}`,
    endpoint: 'receiveAcsEvents',
    method: 'POST',
    path: `/api/v1/events/acs${query}`,
    key: null,
    headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-relay-events-secret': secret }) },
    body: requestBody,
    status,
  });
  const events = acsBounce(f);
  cases.push(
    acs('no secret', events, null, 401),
    acs('an empty secret', events, '', 401),
    acs('a wrong secret', events, `${f.acsSecret}x`, 401),
    acs('a wrong secret in the query', events, null, 401, '?secret=wrong'),
    acs('the secret in upper case', events, f.acsSecret.toUpperCase(), 401),
    acs('not JSON', '{"id": ', f.acsSecret, 400),
    acs('a string', '"text"', f.acsSecret, 400),
    acs('an array of numbers', '[1, 2]', f.acsSecret, 400),
    acs(
      'a validation event without its code',
      JSON.stringify([{ id: 'v', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: {} }]),
      f.acsSecret,
      400,
    ),
    // documented 2xx-and-ignored: an event type the relay does not read is skipped
    {
      ...acs('an unknown event type', acsBounce(f, 'Microsoft.Communication.SomethingElse'), f.acsSecret, 200),
      answer: { received: 1, applied: 0, unchanged: 0, unmatched: 0, skipped: 1 },
    },
    {
      name: 'ACS, OPTIONS without WebHook-Request-Origin',
      endpoint: 'receiveAcsEvents',
      method: 'OPTIONS',
      path: '/api/v1/events/acs',
      key: null,
      status: 400,
    },
  );
  const [payload, mac] = f.token.split('.') as [string, string];
  const badTokens: [string, string][] = [
    ['forged', f.forgedToken],
    ['altered', `${payload}.${flip(mac, 3)}`],
    ['a changed payload', `${flip(payload, 5)}.${mac}`],
    ['cut', f.token.slice(0, -5)],
    ['extended', `${f.token}AAAA`],
    ['without its dot', f.token.replace('.', '')],
    ['parts swapped', `${mac}.${payload}`],
    ['garbled', '%25%00%FF'],
    ['HTML', encodeURIComponent('<script>alert(1)</script>')],
    ['too long', 'A'.repeat(2000)],
  ];
  for (const [what, token] of badTokens) {
    for (const accept of ['text/html', 'application/json']) {
      cases.push({
        name: `unsubscribe page, ${what}, ${accept}`,
        endpoint: 'unsubscribePage',
        method: 'GET',
        path: `/api/v1/unsubscribe/${token}`,
        key: null,
        headers: { accept },
        status: 404,
      });
      cases.push({
        ...ENDPOINTS.find((e) => e.name === 'unsubscribeOneClick')!.valid(f),
        name: `one-click, ${what}, ${accept}`,
        endpoint: 'unsubscribeOneClick',
        path: `/api/v1/unsubscribe/${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
        status: 404,
      });
    }
  }
  cases.push({
    ...ENDPOINTS.find((e) => e.name === 'unsubscribeOneClick')!.valid(f),
    name: 'one-click, a body over 4096 bytes',
    endpoint: 'unsubscribeOneClick',
    body: `List-Unsubscribe=One-Click&${'x'.repeat(5000)}`,
    status: 413,
  });
  cases.push(...acsCases(f));
  cases.push(...sendGridCases());
  return cases;
}

/** The base64url character at `index` replaced by another. */
function flip(text: string, index: number): string {
  return `${text.slice(0, index)}${text[index] === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
}
