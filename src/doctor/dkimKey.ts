// The configured DKIM private key, read as the app reads it, and what its DNS record must say:
// the public key in `p=` (RSA: base64 of the SPKI DER; Ed25519: the raw 32-byte key, RFC 8463).
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

export type PrivateKeyReading = { ok: true; key: KeyObject } | { ok: false; problem: string };

/**
 * The PEM in a setting: app settings and .env lines often carry it on one line with literal `\n`
 * escapes, so those are turned back into line breaks first.
 */
export function readPrivateKey(setting: string, value: string | undefined): PrivateKeyReading {
  if (value === undefined || value.trim() === '') return { ok: false, problem: `${setting} is not set here` };
  if (value.startsWith('@Microsoft.KeyVault(')) return { ok: false, problem: `${setting} is a Key Vault reference, which only Azure resolves` };
  const pem = value.includes('\\n') ? value.replace(/(?:\\r)?\\n/g, '\n') : value;
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return { ok: false, problem: `${setting} is not a PEM private key` };
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ed25519') {
    return { ok: false, problem: `${setting} is a ${key.asymmetricKeyType ?? 'unknown'} key: DKIM signs with RSA or Ed25519` };
  }
  return { ok: true, key };
}

/** SubjectPublicKeyInfo DER of a public key, or of a private key's public half. */
export function spki(key: KeyObject): Buffer {
  return (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' });
}

/** The TXT record text a key publishes: `v=DKIM1; k=rsa; p=...`. */
export function dkimRecordText(key: KeyObject): string {
  const der = spki(key);
  if (key.asymmetricKeyType === 'ed25519') return `v=DKIM1; k=ed25519; p=${der.subarray(der.length - 32).toString('base64')}`;
  return `v=DKIM1; k=rsa; p=${der.toString('base64')}`;
}

/** "rsa 2048-bit" / "ed25519" */
export function keyDescription(key: KeyObject): string {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  return key.asymmetricKeyType === 'rsa' && bits !== undefined ? `rsa ${bits}-bit` : (key.asymmetricKeyType ?? 'unknown');
}
