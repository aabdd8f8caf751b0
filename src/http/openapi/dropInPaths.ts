// The drop-in endpoints for apps written against SendGrid or Azure Communication Services Email:
// their own request and error shapes, their own authentication.
import { operation, pathParam } from './operation';

const sendGridErrors = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['errors'],
        properties: {
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['message'],
              properties: { message: { type: 'string' }, field: { type: ['string', 'null'] }, help: { type: ['string', 'null'] } },
            },
          },
        },
      },
    },
  },
});

const acsError = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
});

export const DROP_IN_RESPONSES = {
  SendGridBadRequest: sendGridErrors('a field the relay does not take or does not support, named in `field`'),
  SendGridUnauthorized: sendGridErrors('no or a wrong Bearer key (RELAY_SENDGRID_API_KEY)'),
  SendGridForbidden: sendGridErrors('the from domain is not in RELAY_ALLOWED_SENDER_DOMAINS'),
  SendGridTooLarge: sendGridErrors('the request or a composed message is too large'),
  SendGridUnsupportedMediaType: sendGridErrors('the body is not JSON'),
  AcsBadRequest: acsError('an invalid body or api-version, fields named as ACS names them'),
  AcsUnauthorized: acsError('Denied: no, a wrong or a stale HMAC signature, or a content hash that does not match the body'),
  AcsNotFound: acsError('NotFound: no operation with that id'),
};

export const SENDGRID_EXAMPLE = {
  personalizations: [{ to: [{ email: 'taro@example.net', name: '山田 太郎' }], custom_args: { order: '1234' } }],
  from: { email: 'shop@example.jp', name: 'Shop' },
  subject: 'ご注文ありがとうございます',
  content: [{ type: 'text/plain', value: 'ご注文を承りました。' }],
  categories: ['order'],
};

export const ACS_EXAMPLE = {
  senderAddress: 'shop@example.jp',
  content: { subject: 'ご注文ありがとうございます', plainText: 'ご注文を承りました。' },
  recipients: { to: [{ address: 'taro@example.net', displayName: '山田 太郎' }] },
};

const apiVersion = {
  name: 'api-version',
  in: 'query',
  required: true,
  description: '2023-03-31 or 2025-09-01',
  schema: { type: 'string', enum: ['2023-03-31', '2025-09-01'] },
  example: '2025-09-01',
};

const ACS_OPERATION = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { type: 'string', enum: ['Running', 'Succeeded', 'Failed'] }, error: { type: 'object' } },
};

export const DROP_IN_PATHS = {
  '/api/sendgrid/v3/mail/send': {
    post: operation({
      id: 'sendGridMailSend',
      summary: "SendGrid's v3 Mail Send: each personalization is its own message",
      tags: ['Drop-in'],
      auth: 'sendGridApiKey',
      description: 'Templates, tracking and ASM groups are refused with 400 naming the field. 503 while RELAY_SENDGRID_API_KEY is unset.',
      body: { mediaType: 'application/json', schema: { type: 'object', required: ['personalizations', 'from'] }, examples: { order: SENDGRID_EXAMPLE } },
      ok: {
        '202': {
          description: 'queued; empty body',
          headers: {
            'X-Message-Id': { schema: { type: 'string' }, description: "the first personalization's message id" },
            'X-Relay-Message-Ids': { schema: { type: 'string' }, description: 'every message id, in order, comma-separated' },
          },
        },
        '200': { description: 'sandbox mode: checked, nothing queued' },
      },
      errors: {
        '400': 'SendGridBadRequest',
        '401': 'SendGridUnauthorized',
        '403': 'SendGridForbidden',
        '413': 'SendGridTooLarge',
        '415': 'SendGridUnsupportedMediaType',
      },
    }),
  },
  '/emails:send': {
    post: operation({
      id: 'sendAcsEmail',
      summary: 'Azure Communication Services Email: send (at the app root, as the ACS client needs)',
      tags: ['Drop-in'],
      auth: 'acsHmac',
      description: 'An Operation-Id header makes retries safe (the idempotency key). 503 while RELAY_ACS_ACCESS_KEY is unset.',
      parameters: [apiVersion],
      body: {
        mediaType: 'application/json',
        schema: { type: 'object', required: ['senderAddress', 'content', 'recipients'] },
        examples: { order: ACS_EXAMPLE },
      },
      ok: {
        '202': {
          description: 'accepted; follow Operation-Location',
          schema: ACS_OPERATION,
          headers: { 'Operation-Location': { schema: { type: 'string' }, description: '<app>/emails/operations/<id>?api-version=…' } },
        },
      },
      errors: { '400': 'AcsBadRequest', '401': 'AcsUnauthorized' },
    }),
  },
  '/emails/operations/{id}': {
    get: operation({
      id: 'getAcsEmailOperation',
      summary: 'Azure Communication Services Email: the status of a send',
      tags: ['Drop-in'],
      auth: 'acsHmac',
      parameters: [pathParam('id', 'the operation id (the message id)', '019ca8d7-2d00-7ba6-8cca-35b42688ece2'), apiVersion],
      ok: { '200': { description: 'Running until every recipient is final, then Succeeded, or Failed when none was sent', schema: ACS_OPERATION } },
      errors: { '401': 'AcsUnauthorized', '404': 'AcsNotFound' },
    }),
  },
};
