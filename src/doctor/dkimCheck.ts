// The DKIM record at <selector>._domainkey.<domain>: mailauth fetches and checks it as a verifier
// would; then its public key must be the configured private key's (compared as SPKI DER). The fix
// is the exact record, computed from the key, where the key is at hand.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { getPublicKey } from 'mailauth/lib/tools';
import { txtRecord, type Check, type DoctorContext, type Finding } from './check';
import { isAbsent } from './dns';
import { dkimRecordText, keyDescription, readPrivateKey, spki } from './dkimKey';

/** mailauth's error codes for a record that is there but unusable, in words. */
const UNUSABLE: Readonly<Record<string, string>> = {
  EINVALIDVAL: 'has no usable public key (p= empty, which revokes the key, or not base64)',
  EINVALIDVER: 'has a version other than v=DKIM1',
  EINVALIDTYPE: 'holds a key that is neither RSA nor Ed25519, or whose k= says otherwise',
  ESHORTKEY: 'holds an RSA key shorter than 1024 bits, which verifiers refuse',
};

interface ConfiguredKey {
  readonly setting: string;
  readonly key?: KeyObject;
  readonly problem?: string;
}

function configuredKey(context: DoctorContext): ConfiguredKey | undefined {
  const dkim = context.settings.dkim;
  if (dkim === undefined) return undefined;
  const reading = readPrivateKey(dkim.privateKeySetting, context.settings.setting(dkim.privateKeySetting));
  return reading.ok ? { setting: dkim.privateKeySetting, key: reading.key } : { setting: dkim.privateKeySetting, problem: reading.problem };
}

/** What to publish: the exact record when the key is at hand, else what it must hold. */
function publishFix(name: string, configured: ConfiguredKey | undefined): string {
  if (configured?.key) return `publish ${txtRecord(name, dkimRecordText(configured.key))}`;
  return `publish the public key of the selector's private key at ${name} ("v=DKIM1; k=rsa; p=<base64 SPKI>")`;
}

export const dkimCheck: Check = {
  name: 'dkim',
  async run(context): Promise<Finding> {
    const { domain, settings } = context;
    const selector = context.selector ?? settings.dkim?.selector;
    if (selector === undefined) {
      return {
        result: 'warn',
        found: `no DKIM key for ${domain} in the policy and no --selector given`,
        fix: `add "dkim": {"${domain}": {"selector": "...", "privateKeySetting": "..."}} to the policy, or run with --selector <the selector your smart host signs with>`,
      };
    }
    const name = `${selector}._domainkey.${domain}`;
    const configured = configuredKey(context);
    let published: { publicKey: string; modulusLength?: number };
    try {
      published = await getPublicKey('DKIM', name, 1024, context.lookup);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (isAbsent(err)) return { result: 'fail', found: `no TXT record at ${name}`, fix: publishFix(name, configured) };
      const words = UNUSABLE[code];
      if (words === undefined) throw err;
      return { result: 'fail', found: `the record at ${name} ${words}`, fix: publishFix(name, configured) };
    }
    const publishedKey = createPublicKey(published.publicKey);
    const seen = `${keyDescription(publishedKey)} key at ${name}`;
    const otherSelector =
      settings.dkim !== undefined && settings.dkim.selector !== selector ? ` (the policy signs with selector ${settings.dkim.selector}, not ${selector})` : '';
    if (configured === undefined) {
      return { result: 'pass', found: `${seen}; not compared: the policy has no DKIM key for ${domain} (the smart host signs?)`, fix: '' };
    }
    if (configured.key === undefined) {
      return {
        result: 'warn',
        found: `${seen}; not compared with the configured key: ${configured.problem}`,
        fix: `set ${configured.setting} to the PEM private key where the doctor runs (environment or local.settings.json) and run it again`,
      };
    }
    if (!spki(publishedKey).equals(spki(configured.key))) {
      return { result: 'fail', found: `the ${seen} is not the public key of ${configured.setting}${otherSelector}`, fix: publishFix(name, configured) };
    }
    return { result: 'pass', found: `${seen} matches ${configured.setting}`, fix: '' };
  },
};
