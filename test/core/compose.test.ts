import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { composeMessage } from '../../src/core/compose';
import { validateSendRequest } from '../../src/core/sendRequest';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('composes a message whose Japanese text, headers and attachment decode right, without Bcc', FILE_TIMEOUT, async () => {
  const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10, 0x80]);
  const validated = validateSendRequest(
    {
      from: { name: '山田 太郎', address: 'taro@example.jp' },
      to: '花子 <hanako@example.jp>',
      bcc: 'hidden@example.jp',
      replyTo: 'support@example.jp',
      subject: 'ご注文ありがとうございます（注文番号 42）',
      text: 'こんにちは。\nご注文を承りました。',
      html: '<p>こんにちは</p>',
      headers: { 'X-Campaign': '秋' },
      attachments: [{ filename: '請求書.pdf', content: pdf.toString('base64'), contentType: 'application/pdf' }],
    },
    { maxRecipients: 10 },
  );
  assert.ok(validated.ok);
  if (!validated.ok) return;
  const date = new Date('2026-11-29T00:00:00Z');
  const raw = await composeMessage('0190a000-0000-7000-8000-000000000000', validated.value, date);
  const parsed = await simpleParser(raw);
  assert.equal(parsed.subject, 'ご注文ありがとうございます（注文番号 42）');
  assert.equal(parsed.text?.trim(), 'こんにちは。\nご注文を承りました。');
  assert.equal(parsed.from?.value[0].name, '山田 太郎');
  assert.equal(parsed.messageId, '<0190a000-0000-7000-8000-000000000000@example.jp>');
  assert.equal(parsed.date?.toISOString(), date.toISOString());
  // mailparser leaves unknown headers encoded: check for the RFC 2047 encoded word of the value.
  assert.equal(parsed.headers.get('x-campaign'), `=?UTF-8?B?${Buffer.from('秋').toString('base64')}?=`);
  assert.equal(parsed.attachments.length, 1);
  assert.equal(parsed.attachments[0].filename, '請求書.pdf');
  assert.deepEqual(parsed.attachments[0].content, pdf);
  assert.equal(parsed.headers.has('bcc'), false);
  assert.doesNotMatch(raw.toString('latin1'), /hidden@example\.jp/);
});
