// The doctor's pure parts and its command line, without a DNS server: the smart host table, the
// record edits its fixes propose, --dns-server parsing, the DKIM key reading and record, the table
// formatter, the policy reading, and the exit codes for usage errors and DNS failures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getPublicKey } from 'mailauth/lib/tools';
import { combine, txtRecord, worst, type CheckResult } from '../../src/doctor/check';
import { dkimRecordText, readPrivateKey, spki } from '../../src/doctor/dkimKey';
import { dnsServerAddress, type Lookup } from '../../src/doctor/dns';
import { resultTable, summary } from '../../src/doctor/format';
import { runDoctor } from '../../src/doctor/main';
import { readDoctorSettings, SettingsError } from '../../src/doctor/settings';
import { smartHostSpf } from '../../src/doctor/smartHostSpf';
import { withHardFail, withTerms } from '../../src/doctor/spfChecks';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function dnsError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

test('known smart hosts map to the SPF include their provider publishes; others to none', FILE_TIMEOUT, () => {
  assert.equal(smartHostSpf('smtp.sendgrid.net')?.include, 'sendgrid.net');
  assert.equal(smartHostSpf('SMTP.Office365.com.')?.include, 'spf.protection.outlook.com');
  assert.equal(smartHostSpf('smtp.azurecomm.net')?.include, 'spf.protection.outlook.com');
  assert.equal(smartHostSpf('email-smtp.ap-northeast-1.amazonaws.com')?.include, 'amazonses.com');
  // `*` is one label, not any text
  assert.equal(smartHostSpf('email-smtp.a.b.amazonaws.com'), undefined);
  assert.equal(smartHostSpf('smtp.relay.example.jp'), undefined);
  assert.equal(smartHostSpf('evil-smtp.sendgrid.net'), undefined);
});

test("the fixes edit the operator's own SPF record: terms before the closing all, -all for +all/?all", FILE_TIMEOUT, () => {
  assert.equal(withTerms('v=spf1 include:sendgrid.net -all', ['include:x.example']), 'v=spf1 include:sendgrid.net include:x.example -all');
  assert.equal(withTerms('v=spf1 mx redirect=_spf.example.jp', ['include:x.example']), 'v=spf1 mx include:x.example redirect=_spf.example.jp');
  assert.equal(withTerms('v=spf1 mx', ['include:x.example']), 'v=spf1 mx include:x.example');
  assert.equal(withHardFail('v=spf1 mx +all'), 'v=spf1 mx -all');
  assert.equal(withHardFail('v=spf1 mx ?all'), 'v=spf1 mx -all');
  assert.equal(withHardFail('v=spf1 mx'), 'v=spf1 mx -all');
});

test('--dns-server takes an IP address with an optional port', FILE_TIMEOUT, () => {
  assert.equal(dnsServerAddress('127.0.0.1'), '127.0.0.1:53');
  assert.equal(dnsServerAddress('127.0.0.1:5353'), '127.0.0.1:5353');
  assert.equal(dnsServerAddress('[::1]:5353'), '[::1]:5353');
  assert.equal(dnsServerAddress('::1'), '[::1]:53');
  assert.throws(() => dnsServerAddress('dns.example.jp:53'), /not an IP address/);
  assert.throws(() => dnsServerAddress('127.0.0.1:0'), /port must be from 1 to 65535/);
  assert.throws(() => dnsServerAddress('127.0.0.1:70000'), /port must be from 1 to 65535/);
});

describe('the configured DKIM key', FILE_TIMEOUT, () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ed = generateKeyPairSync('ed25519').privateKey;
  const pem = rsa.export({ type: 'pkcs8', format: 'pem' }).toString();

  test('is read from a PEM, also one written on one line with \\n escapes', () => {
    for (const value of [pem, pem.replace(/\n/g, '\\n'), pem.replace(/\n/g, '\\r\\n')]) {
      const reading = readPrivateKey('DKIM_KEY', value);
      assert.ok(reading.ok, JSON.stringify(reading));
      assert.ok(spki(reading.key).equals(spki(rsa)));
    }
  });

  test('that is missing, a Key Vault reference, not a key, or not RSA/Ed25519 is named with its setting', () => {
    const problem = (value: string | undefined) => {
      const reading = readPrivateKey('DKIM_KEY', value);
      return reading.ok ? 'read' : reading.problem;
    };
    assert.equal(problem(undefined), 'DKIM_KEY is not set here');
    assert.match(problem('@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/dkim)'), /DKIM_KEY is a Key Vault reference/);
    assert.equal(problem('not a key'), 'DKIM_KEY is not a PEM private key');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.match(problem(ec), /DKIM_KEY is a ec key: DKIM signs with RSA or Ed25519/);
  });

  test('gives the record a verifier (mailauth) reads back as the same public key, RSA and Ed25519', async () => {
    for (const key of [rsa, ed]) {
      const text = dkimRecordText(key);
      assert.match(text, key === ed ? /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/ : /^v=DKIM1; k=rsa; p=MII/);
      const lookup: Lookup = (name, type) => Promise.resolve(name === 's._domainkey.example.jp' && type === 'TXT' ? [[text]] : []);
      const published = await getPublicKey('DKIM', 's._domainkey.example.jp', 1024, lookup);
      const { createPublicKey } = await import('node:crypto');
      assert.ok(spki(createPublicKey(published.publicKey)).equals(spki(key)));
    }
  });
});

test('the table has one line per check, aligned, with - for no fix; the summary counts verdicts', FILE_TIMEOUT, () => {
  const results: CheckResult[] = [
    { check: 'spf', result: 'pass', found: '"v=spf1 -all"', fix: '' },
    { check: 'dmarc', result: 'warn', found: 'p=none', fix: 'move to p=quarantine' },
  ];
  assert.equal(
    resultTable(results),
    ['CHECK  RESULT  FOUND          FIX', 'spf    pass    "v=spf1 -all"  -', 'dmarc  warn    p=none         move to p=quarantine'].join('\n'),
  );
  assert.equal(summary(results), '2 checks: 1 pass, 1 warn, 0 fail');
  const long = resultTable([{ check: 'dkim', result: 'fail', found: 'x'.repeat(100), fix: 'publish\nit' }]);
  assert.equal(long.split('\n')[1], `dkim   fail    ${'x'.repeat(100)}  publish it`);
});

test('a TXT record over 255 characters is written as several strings, as zone files take it', FILE_TIMEOUT, () => {
  assert.equal(txtRecord('_dmarc.example.jp', 'v=DMARC1; p=none'), '_dmarc.example.jp TXT "v=DMARC1; p=none"');
  const text = `v=DKIM1; k=rsa; p=${'A'.repeat(300)}`;
  const written = txtRecord('s._domainkey.example.jp', text);
  assert.equal(written, `s._domainkey.example.jp TXT "${text.slice(0, 255)}" "${text.slice(255)}"`);
});

test('a row of several findings takes the worst verdict and joins what was found and the fixes', FILE_TIMEOUT, () => {
  assert.equal(worst([]), 'pass');
  assert.equal(worst(['pass', 'fail', 'warn']), 'fail');
  assert.deepEqual(
    combine([
      { result: 'pass', found: 'a', fix: '' },
      { result: 'warn', found: 'b', fix: 'do b' },
    ]),
    { result: 'warn', found: 'a; b', fix: 'do b' },
  );
});

describe("the relay's configuration, as the doctor reads it", FILE_TIMEOUT, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-settings-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('smart hosts and the DKIM key come from the policy JSON the typed policy does not carry yet, with a note', () => {
    const file = path.join(dir, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        smartHosts: { default: { profile: 'acs-custom-domain' }, domestic: { host: 'SMTP.Relay.example.jp' }, noHost: {} },
        dkim: { 'Example.JP': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' } },
      }),
    );
    const settings = readDoctorSettings(
      'example.jp',
      { RELAY_POLICY_FILE: file, SMARTHOST_HOST: 'smtp.azurecomm.net', RELAY_BOUNCE_DOMAIN: 'Bounce.example.jp', DKIM_EXAMPLE_JP_KEY: 'pem' },
      dir,
    );
    assert.deepEqual(settings.smartHosts, [
      { name: 'default', host: 'smtp.azurecomm.net' },
      { name: 'domestic', host: 'smtp.relay.example.jp' },
    ]);
    assert.deepEqual(settings.dkim, { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' });
    assert.equal(settings.bounceDomain, 'bounce.example.jp');
    assert.equal(settings.setting('DKIM_EXAMPLE_JP_KEY'), 'pem');
    assert.ok(settings.notes.some((n) => n.startsWith('the relay would refuse its policy:')));
  });

  test('the built-in policy: no DKIM key, only SMARTHOST_HOST, and a note when that is unset', () => {
    const settings = readDoctorSettings('example.jp', {}, dir);
    assert.deepEqual(settings.smartHosts, []);
    assert.equal(settings.dkim, undefined);
    assert.deepEqual(settings.notes, ['SMARTHOST_HOST is not set: the default smart host is unknown to the doctor']);
  });

  test('a domain the relay does not send for gets a note', () => {
    const notes = (allowed: string) =>
      readDoctorSettings('example.jp', { SMARTHOST_HOST: 'smtp.sendgrid.net', RELAY_ALLOWED_SENDER_DOMAINS: allowed }, dir).notes;
    assert.deepEqual(notes('example.com, Example.JP'), []);
    assert.deepEqual(notes('example.com'), ['example.jp is not in RELAY_ALLOWED_SENDER_DOMAINS: the relay refuses mail from it']);
  });

  test('a policy that cannot be read stops the doctor, naming it', () => {
    writeFileSync(path.join(dir, 'broken.json'), '{"smartHosts": ');
    assert.throws(
      () => readDoctorSettings('example.jp', { RELAY_POLICY_FILE: 'broken.json' }, dir),
      (err: unknown) => err instanceof SettingsError && /broken\.json\) is not JSON/.test(err.message),
    );
    assert.throws(() => readDoctorSettings('example.jp', { RELAY_POLICY_FILE: 'absent.json' }, dir), /cannot be read: ENOENT/);
  });
});

describe('the command line', FILE_TIMEOUT, () => {
  async function run(argv: string[], lookup?: Lookup): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDoctor(argv, { SMARTHOST_HOST: 'smtp.sendgrid.net' }, { out: (t) => out.push(t), err: (t) => err.push(t) }, lookup);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const nothing: Lookup = () => Promise.reject(dnsError('ENOTFOUND'));

  test('usage errors exit 2 with a message, and nothing is looked up', async () => {
    let asked = 0;
    const counting: Lookup = () => {
      asked++;
      return Promise.reject(dnsError('ENOTFOUND'));
    };
    for (const [argv, message] of [
      [[], /required option '--domain <domain>' not specified/],
      [['--domain', 'not a domain'], /--domain "not a domain" is not a domain name/],
      [['--domain', 'example.jp', '--dns-server', 'dns.example'], /--dns-server "dns\.example" is not an IP address/],
      [['--domain', 'example.jp', '--selector', 'bad selector'], /--selector "bad selector" is not a DKIM selector/],
      [['--domain', 'example.jp', '--nonsense'], /unknown option '--nonsense'/],
    ] as const) {
      const result = await run([...argv], counting);
      assert.equal(result.code, 2, argv.join(' '));
      assert.match(result.err, message);
    }
    assert.equal(asked, 0);
    assert.equal((await run(['--help'], counting)).code, 0);
  });

  test('a domain with no records fails its checks and exits 1; --json prints the same rows', async () => {
    const text = await run(['--domain', 'example.jp'], nothing);
    assert.equal(text.code, 1);
    assert.match(text.out, /^spf\s+fail\s+no v=spf1 TXT record on example\.jp\s+publish example\.jp TXT "v=spf1 include:sendgrid\.net -all"$/m);
    const json = await run(['--domain', 'Example.JP.', '--json'], nothing);
    const parsed = JSON.parse(json.out) as { domain: string; checks: CheckResult[] };
    assert.equal(parsed.domain, 'example.jp');
    assert.deepEqual(
      parsed.checks.map((c) => [c.check, c.result]),
      [
        ['spf', 'fail'],
        ['spf-smart-hosts', 'fail'],
        ['dkim', 'warn'],
        ['dmarc', 'fail'],
        ['address', 'fail'],
        ['mx', 'warn'],
      ],
    );
  });

  test('a DNS server that does not answer fails every check, naming the error', async () => {
    const { code, out } = await run(['--domain', 'example.jp', '--selector', 's1', '--json'], () => Promise.reject(dnsError('ETIMEOUT')));
    assert.equal(code, 1);
    const checks = (JSON.parse(out) as { checks: CheckResult[] }).checks;
    for (const c of checks) {
      assert.equal(c.result, 'fail', c.check);
      assert.match(c.found, /DNS lookup failed: ETIMEOUT|lookups for example\.jp failed: DNS timeout|DMARC lookup failed: ETIMEOUT/, c.check);
    }
  });
});
