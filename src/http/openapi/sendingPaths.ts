// Sending and status: what a sending app calls.
import { operation, pathParam } from './operation';
import { ref } from './schemas';

export const SEND_EXAMPLE = {
  from: 'Shop <shop@example.jp>',
  to: ['taro@example.net'],
  subject: 'ご注文ありがとうございます',
  text: 'ご注文を承りました。',
  tags: { campaign: 'order-confirmation' },
};

export const SENDING_PATHS = {
  '/api/v1/messages': {
    post: operation({
      id: 'sendMessage',
      summary: 'Queue a message: one delivery per recipient',
      tags: ['Sending'],
      auth: 'sender',
      description:
        'All or nothing: every recipient is queued (or recorded as suppressed), or nothing is. An optional Idempotency-Key header makes retries safe.',
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: '1 to 255 printable ASCII characters; the same key and body within 24 h answer the first answer again',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      ],
      body: { mediaType: 'application/json', schema: ref('SendRequest'), examples: { order: SEND_EXAMPLE } },
      ok: {
        '202': {
          description: 'accepted; `completed` only when every recipient is suppressed',
          schema: ref('AcceptAnswer'),
          headers: { Location: { schema: { type: 'string' }, description: '/api/v1/messages/{id}' } },
        },
      },
      errors: { '400': 'BadRequest', '401': 'Unauthorized', '403': 'Forbidden', '409': 'Conflict', '413': 'TooLarge', '415': 'UnsupportedMediaType' },
    }),
  },
  '/api/v1/messages/{id}': {
    get: operation({
      id: 'getMessageStatus',
      summary: "A message and each recipient's state",
      tags: ['Sending'],
      auth: 'sender',
      parameters: [pathParam('id', 'the id the send answered with', '019ca8d7-2d00-7ba6-8cca-35b42688ece2')],
      ok: { '200': { description: 'the message', schema: ref('Message') } },
      errors: { '401': 'Unauthorized', '404': 'NotFound' },
    }),
  },
};
