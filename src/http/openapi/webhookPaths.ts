// What upstreams and mail clients call: delivery events, the unsubscribe links, and this document.
import { operation, pathParam, queryParam } from './operation';
import { ref } from './schemas';

const token = pathParam('token', 'the signed token of the List-Unsubscribe link', '<payload>.<signature>');
const unsubscribePage = { '200': { description: 'an HTML page', schema: { type: 'string' }, mediaType: 'text/html' } };

export const WEBHOOK_PATHS = {
  '/api/v1/events/sendgrid': {
    post: operation({
      id: 'receiveSendGridEvents',
      summary: "SendGrid's Event Webhook (a JSON array), signature checked",
      description: '503 not-configured while RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY is unset.',
      tags: ['Events'],
      auth: 'sendGridSignature',
      body: {
        mediaType: 'application/json',
        schema: { type: 'array', items: { type: 'object' } },
        examples: {
          bounce: [
            { email: 'nobody@example.net', event: 'bounce', sg_event_id: 'ZXhhbXBsZS1ldmVudA', timestamp: 1764590400, reason: '550 5.1.1 User unknown' },
          ],
        },
      },
      ok: { '200': { description: 'counted, matched or not (SendGrid retries every other answer)', schema: ref('EventsAnswer') } },
      errors: { '400': 'BadRequest', '401': 'WebhookUnauthorized' },
    }),
  },
  '/api/v1/events/acs': {
    post: operation({
      id: 'receiveAcsEvents',
      summary: 'Event Grid delivery of Microsoft.Communication.EmailDeliveryReportReceived, with the validation handshake',
      description: '503 not-configured while RELAY_ACS_EVENTS_SECRET is unset.',
      tags: ['Events'],
      auth: 'acsEventsSecret',
      parameters: [queryParam('secret', 'RELAY_ACS_EVENTS_SECRET, when the subscription cannot send a header')],
      body: {
        mediaType: 'application/json',
        schema: { type: 'array', items: { type: 'object' } },
        examples: {
          delivered: [
            {
              id: 'e1',
              eventType: 'Microsoft.Communication.EmailDeliveryReportReceived',
              subject: 'sender/app@example.jp/message/0c0e0b52-0000-0000-0000-000000000000',
              eventTime: '2026-12-01T09:00:00Z',
              dataVersion: '1.0',
              data: { sender: 'app@example.jp', recipient: 'taro@example.net', messageId: '0c0e0b52-0000-0000-0000-000000000000', status: 'Delivered' },
            },
          ],
        },
      },
      ok: { '200': { description: 'counted; a validation event is answered {"validationResponse"}', schema: { type: 'object' } } },
      errors: { '400': 'BadRequest', '401': 'WebhookUnauthorized' },
    }),
    options: operation({
      id: 'receiveAcsEventsHandshake',
      summary: "CloudEvents' abuse-protection handshake",
      tags: ['Events'],
      auth: 'none',
      parameters: [{ name: 'WebHook-Request-Origin', in: 'header', required: true, schema: { type: 'string' }, example: 'eventgrid.azure.net' }],
      ok: { '200': { description: 'allowed; WebHook-Allowed-Origin says so', headers: { 'WebHook-Allowed-Origin': { schema: { type: 'string' } } } } },
      errors: { '400': 'BadRequest' },
    }),
  },
  '/api/v1/unsubscribe/{token}': {
    get: operation({
      id: 'unsubscribePage',
      summary: 'The unsubscribe page: shows the address and a button; changes nothing',
      tags: ['Unsubscribe'],
      auth: 'none',
      parameters: [token],
      ok: unsubscribePage,
      errors: { '404': 'LinkNotFound' },
    }),
    post: operation({
      id: 'unsubscribeOneClick',
      summary: 'RFC 8058 one-click unsubscribe: suppresses the address for the sender domain',
      tags: ['Unsubscribe'],
      auth: 'none',
      parameters: [token],
      body: {
        mediaType: 'application/x-www-form-urlencoded',
        schema: { type: 'string' },
        examples: { oneClick: 'List-Unsubscribe=One-Click' },
        required: false,
      },
      ok: unsubscribePage,
      errors: { '404': 'LinkNotFound', '413': 'PageTooLarge' },
    }),
  },
  '/api/v1/openapi.json': {
    get: operation({
      id: 'getOpenApi',
      summary: 'This document',
      tags: ['Meta'],
      auth: 'none',
      ok: { '200': { description: 'OpenAPI 3.1', schema: { type: 'object', required: ['openapi', 'paths'] } } },
      errors: {},
    }),
  },
};
