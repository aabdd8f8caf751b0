// The doctor against a DNS server on loopback (dns2) serving zones as data: a good zone passes every
// check; each broken zone fails (or warns) the check it breaks, with the fix an operator can act on.
// One test runs the real command, `npm run doctor`, and reads its table and exit code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dkimRecordText } from '../../src/doctor/dkimKey';
import { txtRecord, type CheckResult, type Verdict } from '../../src/doctor/check';
import { runDoctor } from '../../src/doctor/main';
import { startDnsServer, type DnsServer, type Zone } from '../support/dnsServer';
import { DOMAIN, GOOD_DMARC, GOOD_SPF, SELECTOR, goodZone, withName, withSpf } from '../support/doctorZones';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const CHECK_NAMES = ['spf', 'spf-smart-hosts', 'dkim', 'dmarc', 'address', 'mx'];

interface Case {
  name: string;
  zone: (good: Zone) => Zone;
  /** settings over the base ones */
  env?: Record<string, string>;
  check: string;
  result: Verdict;
  found: RegExp;
  /** a pattern, or the exact fix (computed once the keys exist) */
  fix: RegExp | (() => string);
  /** other checks this break leaves short of a pass */
  others?: Record<string, Verdict>;
}

describe('npm run doctor', FILE_TIMEOUT, () => {
  let dns: DnsServer;
  let dir: string;
  let key: KeyObject;
  let otherKey: KeyObject;
  let env: Record<string, string>;

  before(async () => {
    key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-'));
    const policy = {
      smartHosts: { exchange: { host: 'smtp.office365.com', auth: 'xoauth2', username: 'relay@example.jp' } },
      dkim: { [DOMAIN]: { selector: SELECTOR, privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' } },
    };
    writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policy));
    writeFileSync(path.join(dir, 'no-dkim.json'), JSON.stringify({ smartHosts: policy.smartHosts }));
    const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    // one line with literal \n escapes, as an app setting or .env line often holds it
    env = { SMARTHOST_HOST: 'smtp.sendgrid.net', RELAY_POLICY_FILE: path.join(dir, 'policy.json'), DKIM_EXAMPLE_JP_KEY: pem.replace(/\n/g, '\\n') };
    dns = await startDnsServer(goodZone(key));
  });
  after(async () => {
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function doctor(zone: Zone, extra: Record<string, string> = {}, args: string[] = []): Promise<{ code: number; results: CheckResult[] }> {
    dns.setZone(zone);
    const out: string[] = [];
    const code = await runDoctor(
      ['--domain', DOMAIN, '--dns-server', dns.address, '--json', ...args],
      { ...env, ...extra },
      { out: (t) => out.push(t), err: () => {} },
    );
    const parsed = JSON.parse(out.join('\n')) as { checks: CheckResult[] };
    return { code, results: parsed.checks };
  }

  test('a good zone passes every check, and the exit code is 0', async () => {
    const { code, results } = await doctor(goodZone(key));
    assert.deepEqual(
      results.map((r) => [r.check, r.result]),
      CHECK_NAMES.map((c) => [c, 'pass']),
      JSON.stringify(results, null, 2),
    );
    assert.equal(code, 0);
    const byName = new Map(results.map((r) => [r.check, r]));
    assert.match(byName.get('spf')?.found ?? '', /include:sendgrid\.net include:spf\.protection\.outlook\.com -all/);
    assert.match(
      byName.get('spf-smart-hosts')?.found ?? '',
      /default \(smtp\.sendgrid\.net, SendGrid\): include:sendgrid\.net reached.*exchange \(smtp\.office365\.com, Exchange Online\): include:spf\.protection\.outlook\.com reached/,
    );
    assert.match(byName.get('dkim')?.found ?? '', /rsa 2048-bit key at relay2026\._domainkey\.example\.jp matches DKIM_EXAMPLE_JP_KEY/);
    assert.match(byName.get('address')?.found ?? '', /A 203\.0\.113\.10/);
    assert.match(byName.get('mx')?.found ?? '', /MX 10 mx\.example\.jp/);
  });

  const dkimName = `${SELECTOR}._domainkey.${DOMAIN}`;
  const cases: Case[] = [
    {
      name: 'no SPF record',
      zone: (z) => withSpf(z),
      check: 'spf',
      result: 'fail',
      found: /no v=spf1 TXT record on example\.jp/,
      fix: /^publish example\.jp TXT "v=spf1 include:sendgrid\.net include:spf\.protection\.outlook\.com -all"$/,
      others: { 'spf-smart-hosts': 'fail' },
    },
    {
      name: 'two SPF records',
      zone: (z) => withSpf(z, GOOD_SPF, 'v=spf1 a mx -all'),
      check: 'spf',
      result: 'fail',
      found: /2 v=spf1 records/,
      fix: /keep one record: merge their terms into a single/,
      others: { 'spf-smart-hosts': 'fail' },
    },
    {
      name: 'SPF ending in +all',
      zone: (z) => withSpf(z, 'v=spf1 include:sendgrid.net include:spf.protection.outlook.com +all'),
      check: 'spf',
      result: 'warn',
      found: /passes mail from any host \(\+all\)/,
      fix: /end it in -all .*example\.jp TXT "v=spf1 include:sendgrid\.net include:spf\.protection\.outlook\.com -all"/,
    },
    {
      name: 'SPF needing more than 10 DNS lookups',
      zone: (z) => {
        const hops = Array.from({ length: 10 }, (_, i) => `hop${i}.example.jp`);
        const zone = withSpf(z, `${GOOD_SPF.replace(' -all', '')} ${hops.map((h) => `include:${h}`).join(' ')} -all`);
        for (const hop of hops) zone[hop] = { TXT: ['v=spf1 -all'] };
        return zone;
      },
      check: 'spf',
      result: 'fail',
      found: /Too many DNS requests/,
      fix: /correct the record \(at most 10 DNS lookups/,
      others: { 'spf-smart-hosts': 'fail' },
    },
    {
      name: "SPF without a smart host's include",
      zone: (z) => withSpf(z, 'v=spf1 include:sendgrid.net -all'),
      check: 'spf-smart-hosts',
      result: 'fail',
      found: /exchange \(smtp\.office365\.com, Exchange Online\): include:spf\.protection\.outlook\.com missing/,
      fix: /^add include:spf\.protection\.outlook\.com to the SPF record: example\.jp TXT "v=spf1 include:sendgrid\.net include:spf\.protection\.outlook\.com -all"$/,
    },
    {
      name: 'no DKIM record',
      zone: (z) => withName(z, dkimName, undefined),
      check: 'dkim',
      result: 'fail',
      found: /no TXT record at relay2026\._domainkey\.example\.jp/,
      fix: () => `publish ${txtRecord(dkimName, dkimRecordText(key))}`,
    },
    {
      name: 'a DKIM key that is not the configured one',
      zone: (z) => withName(z, dkimName, { TXT: [dkimRecordText(otherKey)] }),
      check: 'dkim',
      result: 'fail',
      found: /the rsa 2048-bit key at relay2026\._domainkey\.example\.jp is not the public key of DKIM_EXAMPLE_JP_KEY/,
      fix: () => `publish ${txtRecord(dkimName, dkimRecordText(key))}`,
    },
    {
      name: 'a revoked DKIM key (p= empty)',
      zone: (z) => withName(z, dkimName, { TXT: ['v=DKIM1; k=rsa; p='] }),
      check: 'dkim',
      result: 'fail',
      found: /has no usable public key/,
      fix: () => `publish ${txtRecord(dkimName, dkimRecordText(key))}`,
    },
    {
      name: 'no DMARC record',
      zone: (z) => withName(z, `_dmarc.${DOMAIN}`, undefined),
      check: 'dmarc',
      result: 'fail',
      found: /no DMARC record at _dmarc\.example\.jp/,
      fix: /^publish _dmarc\.example\.jp TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example\.jp", then p=quarantine/,
    },
    {
      name: 'two DMARC records',
      zone: (z) => withName(z, `_dmarc.${DOMAIN}`, { TXT: [GOOD_DMARC, 'v=DMARC1; p=none'] }),
      check: 'dmarc',
      result: 'fail',
      found: /several DMARC records at _dmarc\.example\.jp/,
      fix: /keep one v=DMARC1 record/,
    },
    {
      name: 'DMARC p=none',
      zone: (z) => withName(z, `_dmarc.${DOMAIN}`, { TXT: ['v=DMARC1; p=none; rua=mailto:dmarc-reports@example.jp'] }),
      check: 'dmarc',
      result: 'warn',
      found: /p=none: receivers act on nothing that fails/,
      fix: /_dmarc\.example\.jp TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example\.jp"/,
    },
    {
      name: 'DMARC aspf=s with the envelope on a subdomain (SPF unaligned, DKIM aligned)',
      zone: (z) =>
        withName(withName(z, `_dmarc.${DOMAIN}`, { TXT: [`${GOOD_DMARC}; aspf=s`] }), 'bounce.example.jp', {
          MX: [{ exchange: 'mx.example.jp', priority: 10 }],
        }),
      env: { RELAY_BOUNCE_DOMAIN: 'bounce.example.jp' },
      check: 'dmarc',
      result: 'warn',
      found: /envelope domain \(RELAY_BOUNCE_DOMAIN bounce\.example\.jp\) is not aligned with example\.jp \(aspf=s.*DMARC passes on DKIM alone/,
      fix: /set RELAY_BOUNCE_DOMAIN to example\.jp, or leave it unset/,
    },
    {
      name: 'DMARC misaligned: no DKIM key and the envelope in another domain',
      zone: (z) => withName(z, 'bounce.example.net', { MX: [{ exchange: 'mx.example.jp', priority: 10 }] }),
      env: { RELAY_BOUNCE_DOMAIN: 'bounce.example.net', RELAY_POLICY_FILE: 'NO_DKIM' },
      check: 'dmarc',
      result: 'fail',
      found: /DMARC fails: no DKIM signature for example\.jp and the envelope domain \(RELAY_BOUNCE_DOMAIN bounce\.example\.net\) is not aligned/,
      fix: /sign with a key for example\.jp \(policy dkim\.example\.jp\).*set RELAY_BOUNCE_DOMAIN to a subdomain of example\.jp/,
      others: { dkim: 'warn' },
    },
    {
      name: 'no A, AAAA or MX record',
      zone: (z) => withName(z, DOMAIN, { TXT: z[DOMAIN]?.TXT }),
      check: 'address',
      result: 'fail',
      found: /no A, AAAA or MX record on example\.jp/,
      fix: /publish an MX record \(or an A\/AAAA record\) for example\.jp: docomo refuses mail whose From domain has none/,
      others: { mx: 'warn' },
    },
  ];

  for (const c of cases) {
    test(`${c.name}: ${c.check} ${c.result}s and says how to fix it`, async () => {
      const extra = { ...c.env };
      if (extra.RELAY_POLICY_FILE === 'NO_DKIM') extra.RELAY_POLICY_FILE = path.join(dir, 'no-dkim.json');
      const { code, results } = await doctor(c.zone(goodZone(key)), extra);
      const row = results.find((r) => r.check === c.check);
      assert.ok(row, `a ${c.check} row`);
      assert.equal(row.result, c.result, JSON.stringify(row));
      assert.match(row.found, c.found);
      if (typeof c.fix === 'function') assert.equal(row.fix, c.fix());
      else assert.match(row.fix, c.fix);
      const expected = Object.fromEntries(CHECK_NAMES.map((n) => [n, n === c.check ? c.result : (c.others?.[n] ?? 'pass')]));
      assert.deepEqual(Object.fromEntries(results.map((r) => [r.check, r.result])), expected, JSON.stringify(results, null, 2));
      assert.equal(code, Object.values(expected).includes('fail') ? 1 : 0);
    });
  }

  test('without a policy DKIM key, --selector names the record to check, and no selector is a warn saying how', async () => {
    const noDkim = { RELAY_POLICY_FILE: path.join(dir, 'no-dkim.json') };
    const without = await doctor(goodZone(key), noDkim);
    const row = without.results.find((r) => r.check === 'dkim');
    assert.equal(row?.result, 'warn');
    assert.match(row?.fix ?? '', /add "dkim": \{"example\.jp".*or run with --selector/);
    const given = await doctor(goodZone(key), noDkim, ['--selector', SELECTOR]);
    const selected = given.results.find((r) => r.check === 'dkim');
    assert.equal(selected?.result, 'pass', JSON.stringify(selected));
    assert.match(selected?.found ?? '', /key at relay2026\._domainkey\.example\.jp; not compared/);
    assert.equal(given.results.find((r) => r.check === 'dmarc')?.result, 'pass', 'a selector under the domain signs as the domain');
  });

  test("a subdomain without its own record is judged by its organisational domain's, sp= first", async () => {
    const sub = `mail.${DOMAIN}`;
    const zone = withName(goodZone(key), sub, { TXT: [GOOD_SPF], MX: [{ exchange: 'mx.example.jp', priority: 10 }] });
    zone[`_dmarc.${DOMAIN}`] = { TXT: ['v=DMARC1; p=reject; sp=none'] };
    dns.setZone(zone);
    const out: string[] = [];
    await runDoctor(['--domain', sub, '--dns-server', dns.address, '--selector', SELECTOR, '--json'], env, { out: (t) => out.push(t), err: () => {} });
    const row = (JSON.parse(out.join('\n')) as { checks: CheckResult[] }).checks.find((r) => r.check === 'dmarc');
    assert.equal(row?.result, 'warn', JSON.stringify(row));
    assert.match(row?.found ?? '', /"v=DMARC1; p=reject; sp=none" at _dmarc\.example\.jp; sp=none: receivers act on nothing/);
    assert.match(row?.found ?? '', /DKIM \(d=mail\.example\.jp\) and SPF \(mail\.example\.jp\) aligned/);
    assert.match(row?.fix ?? '', /_dmarc\.example\.jp TXT "v=DMARC1; p=reject; sp=quarantine"/);
  });

  test('the real command prints the table and exits 0 on the good zone, 1 on a broken one', async () => {
    dns.setZone(goodZone(key));
    const run = promisify(execFile);
    const args = ['run', '--silent', 'doctor', '--', '--domain', DOMAIN, '--dns-server', dns.address];
    const good = await run('npm', args, { cwd: repoRoot, env: { ...process.env, ...env } });
    const lines = good.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^relay doctor: example\\.jp \\(DNS: ${dns.address.replace(/\./g, '\\.')}\\)$`));
    assert.match(lines[1] ?? '', /^CHECK\s+RESULT\s+FOUND\s+FIX$/);
    assert.deepEqual(
      lines.slice(2, 8).map((l) => l.split(/\s+/).slice(0, 2)),
      CHECK_NAMES.map((c) => [c, 'pass']),
    );
    assert.equal(lines[8], '6 checks: 6 pass, 0 warn, 0 fail');

    dns.setZone(withName(goodZone(key), `_dmarc.${DOMAIN}`, undefined));
    const broken = await run(process.execPath, [path.join(repoRoot, 'bin', 'doctor.js'), '--domain', DOMAIN, '--dns-server', dns.address], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    }).then(
      () => assert.fail('a failing check exits non-zero'),
      (err: { code: number; stdout: string }) => err,
    );
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^dmarc\s+fail\s+no DMARC record at _dmarc\.example\.jp.*publish _dmarc\.example\.jp TXT "v=DMARC1; p=none/m);
  });
});
