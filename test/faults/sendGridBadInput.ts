// The SendGrid drop-in's bad input for the endpoint suite: keys that are not its own (the relay's
// function keys included), then malformed and refused Mail Send bodies, each with the field its
// SendGrid-shaped error must name.
import { ADMIN_KEY, FUNCTION_KEY } from '../support/relayHarness';
import { LIMIT_BYTES, MAX_RECIPIENTS } from './badInputCorpus';
import type { Case } from './endpointBadInputCorpus';
import { SENDGRID_API_KEY, SENDGRID_PATH, sendGridHeaders, sendGridMail } from './endpointTable';

const base = { endpoint: 'sendGridMailSend', method: 'POST', path: SENDGRID_PATH, key: null };

export function sendGridCases(): Case[] {
  const body = JSON.stringify(sendGridMail());
  const keys: [string, Record<string, string>, string | null][] = [
    ['no Authorization', { 'content-type': 'application/json' }, null],
    ['a wrong key', sendGridHeaders(`${SENDGRID_API_KEY}x`), null],
    ['the key in upper case', sendGridHeaders(SENDGRID_API_KEY.toUpperCase()), null],
    ['the key without Bearer', { 'content-type': 'application/json', authorization: SENDGRID_API_KEY }, null],
    ['the key as Basic', { 'content-type': 'application/json', authorization: `Basic ${SENDGRID_API_KEY}` }, null],
    ["the sender's function key as the Bearer", sendGridHeaders(FUNCTION_KEY), null],
    ["the operator's key in x-functions-key", { 'content-type': 'application/json' }, ADMIN_KEY],
    ['an empty Bearer', { 'content-type': 'application/json', authorization: 'Bearer ' }, null],
  ];
  const cases: Case[] = keys.map(([what, headers, key]) => ({ ...base, name: `SendGrid mail send, ${what}`, headers, key, body, status: 401 }));
  const refused: [string, unknown, string, number][] = [
    ['a template', { ...sendGridMail(), template_id: 'd-1' }, 'template_id', 400],
    ['click tracking', { ...sendGridMail(), tracking_settings: { click_tracking: { enable: true } } }, 'tracking_settings.click_tracking.enable', 400],
    ['an ASM group', { ...sendGridMail(), asm: { group_id: 1 } }, 'asm', 400],
    ['an unknown field', { ...sendGridMail(), zz: 1 }, 'zz', 400],
    ['no personalizations', { ...sendGridMail(), personalizations: [] }, 'personalizations', 400],
    ['a bad address', sendGridMail('a@b@example.net'), 'personalizations.0.to.0.email', 400],
    ['CR LF in the subject', { ...sendGridMail(), subject: 'a\r\nBcc: x@example.net' }, 'subject', 400],
    ['send_at a year ahead', { ...sendGridMail(), send_at: Math.floor(Date.now() / 1000) + 365 * 86400 }, 'send_at', 400],
    [
      'html before text',
      {
        ...sendGridMail(),
        content: [
          { type: 'text/html', value: 'x' },
          { type: 'text/plain', value: 'x' },
        ],
      },
      'content.1.type',
      400,
    ],
    [
      'too many recipients',
      { ...sendGridMail(), personalizations: [{ to: Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => ({ email: `u${i}@example.net` })) }] },
      'personalizations.0.to',
      400,
    ],
    ['a sender domain not allowed', { ...sendGridMail(), from: { email: 'app@example.org' } }, 'from', 403],
    ['a sandbox send of a template', { ...sendGridMail(), template_id: 'd-1', mail_settings: { sandbox_mode: { enable: true } } }, 'template_id', 400],
  ];
  for (const [what, mail, field, status] of refused) {
    cases.push({ ...base, name: `SendGrid mail send, ${what}`, headers: sendGridHeaders(), body: JSON.stringify(mail), field, status });
  }
  cases.push(
    { ...base, name: 'SendGrid mail send, not JSON', headers: sendGridHeaders(), body: '{"personalizations": ', status: 400 },
    { ...base, name: 'SendGrid mail send, an array', headers: sendGridHeaders(), body: '[]', status: 400, field: '(body)' },
    { ...base, name: 'SendGrid mail send, text/plain', headers: { ...sendGridHeaders(), 'content-type': 'text/plain' }, body, status: 415 },
    { ...base, name: 'SendGrid mail send, over the size limit', headers: sendGridHeaders(), body: 'x'.repeat(LIMIT_BYTES + 1), status: 413 },
  );
  return cases;
}
