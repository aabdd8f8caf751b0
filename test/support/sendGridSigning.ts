// SendGrid's Signed Event Webhook as the tests play SendGrid: a P-256 key pair whose public half is the
// relay's RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY, and the headers SendGrid sends with a body it signed
// (ECDSA with SHA-256 over the timestamp followed by the raw body, the signature base64 DER).
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export interface SendGridSigner {
  /** the public key as SendGrid shows it (base64 DER SPKI): the RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY setting */
  publicKeySetting: string;
  /** the headers SendGrid sends with `body`: Content-Type, signature and timestamp */
  signed: (body: string | Buffer, options?: { key?: KeyObject; timestamp?: number }) => Record<string, string>;
  /** a key SendGrid did not issue to this relay, for signatures that must not verify */
  otherKey: KeyObject;
}

export function sendGridSigner(): SendGridSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  return {
    publicKeySetting: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    otherKey,
    signed: (body, options = {}) => {
      const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
      const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), options.key ?? privateKey).toString('base64');
      return {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': timestamp,
      };
    },
  };
}
