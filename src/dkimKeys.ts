// The DKIM keys, read once at start-up from the settings the policy's `dkim` entries name (locally an
// environment variable or local.settings.json Values; in Azure a Key Vault reference). A key that is
// missing, unreadable or weak stops the app with a problem naming the domain and the setting: a
// relay that silently sent unsigned mail would fail DMARC at docomo and Gmail instead. The problem
// never quotes the value: it is the private key.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { DkimAlgorithm, DkimKey } from './core/dkim/sign';
import type { DkimDomain } from './core/policy/types';

/** RFC 8301: signers must use at least 1024 bits and should use 2048, which Gmail's and Yahoo's sender guidelines ask for. */
export const MIN_RSA_BITS = 2048;

type Env = Readonly<Record<string, string | undefined>>;

/** Every sender domain's ready key, by domain; each problem found goes to `problems`. */
export function loadDkimKeys(
  domains: ReadonlyMap<string, DkimDomain>,
  env: Env,
  problems: string[],
  ownSettings: ReadonlySet<string>,
): ReadonlyMap<string, DkimKey> {
  const keys = new Map<string, DkimKey>();
  for (const entry of domains.values()) {
    const found = readKey(entry, env, ownSettings);
    if (typeof found === 'string') problems.push(`DKIM key of ${entry.domain} (selector ${entry.selector}): ${entry.privateKeySetting} ${found}`);
    else keys.set(entry.domain, { domain: entry.domain, selector: entry.selector, ...found });
  }
  return keys;
}

/** The key, or the words of what is wrong with the setting (after its name). */
function readKey(entry: DkimDomain, env: Env, ownSettings: ReadonlySet<string>): { algorithm: DkimAlgorithm; privateKey: KeyObject } | string {
  if (ownSettings.has(entry.privateKeySetting)) return "is one of the relay's own settings: give the key a setting of its own (e.g. DKIM_EXAMPLE_JP_KEY)";
  const value = env[entry.privateKeySetting]?.trim();
  if (!value)
    return 'is not set: it must hold the PEM private key (locally an environment variable or local.settings.json Values, in Azure a Key Vault reference)';
  if (value.startsWith('@Microsoft.KeyVault(')) {
    return "is a Key Vault reference that did not resolve: give the app's identity read access to the secret (infra/check-app.sh shows the reference's status)";
  }
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(value)) return 'holds a public key: the setting takes the private key; the public key goes into DNS';
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(value)) {
    return 'holds an encrypted key: store it without a passphrase (openssl pkey -in key.pem -out plain.pem)';
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: unescapeNewlines(value), format: 'pem' });
  } catch {
    // OpenSSL's words name no part of the key, but they say little: ours say what is expected.
    return 'does not hold a PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----, as openssl genpkey writes it)';
  }
  if (privateKey.asymmetricKeyType === 'ed25519') return { algorithm: 'ed25519-sha256', privateKey };
  if (privateKey.asymmetricKeyType !== 'rsa') {
    return `holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key: DKIM signs with RSA (at least ${MIN_RSA_BITS} bits) or Ed25519`;
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS)
    return `holds a ${bits}-bit RSA key: it must be at least ${MIN_RSA_BITS} bits (RFC 8301, and what Gmail and Yahoo ask of senders), or Ed25519`;
  return { algorithm: 'rsa-sha256', privateKey };
}

/** A PEM kept on one line, as environment variables often hold it, with "\n" written for each line break. */
function unescapeNewlines(value: string): string {
  return value.includes('\n') ? value : value.replace(/\\r\\n|\\n/g, '\n');
}
