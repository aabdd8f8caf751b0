// The DNS record that publishes a DKIM key (RFC 6376 section 3.6.1; Ed25519 by RFC 8463), made from
// the private key the relay signs with: what an operator publishes at <selector>._domainkey.<domain>,
// and what a check compares the published one with.
import { createPublicKey, type KeyObject } from 'node:crypto';

/** `v=DKIM1; k=rsa; p=...`: the TXT value for the key's public half. */
export function dkimRecord(privateKey: KeyObject): string {
  const publicKey = createPublicKey(privateKey);
  if (publicKey.asymmetricKeyType === 'ed25519') {
    // p= is the raw 32-byte key: the last 32 bytes of its SubjectPublicKeyInfo
    return `v=DKIM1; k=ed25519; p=${publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')}`;
  }
  return `v=DKIM1; k=rsa; p=${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}`;
}

/** Where the record goes: `<selector>._domainkey.<domain>`. */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}
