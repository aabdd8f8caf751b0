// The independent DKIM verifier of the tests: dkimpy (Debian's python3-dkim, with python3-dnspython),
// run by test/support/dkimVerify.py against a DNS server on loopback. Not the signer the relay uses,
// so a fault shared by signer and verifier cannot pass unseen. .ci/run installs the packages; a
// machine without them skips the suites that need them, except in CI, where they must run.
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './sourceFiles';
import type { DnsServer } from './dnsServer';

export interface DkimVerdict {
  verified: boolean;
  d: string | null;
  s: string | null;
  a: string | null;
  c: string | null;
  /** h=, lower case, in order */
  h: string[];
  reason: string;
}

const SCRIPT = path.join(repoRoot, 'test', 'support', 'dkimVerify.py');
// Debian's interpreter: the packages are installed for it, and a python3 earlier on the PATH (pyenv) may lack them.
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import dkim, dns.query'], { stdio: 'ignore' }).status === 0);

/** The `skip` option for a suite that needs dkimpy: false when it is there or in CI (where its absence must fail). */
export function skipWithoutDkimpy(): false | string {
  if (PYTHON || process.env.CI === 'true') return false;
  return 'dkimpy is not installed (apt-get install python3-dkim python3-dnspython), so signatures are not verified here';
}

export function verifyWithDkimpy(message: Buffer, dns: Pick<DnsServer, 'address'>): Promise<DkimVerdict> {
  if (!PYTHON) throw new Error('dkimpy is required here: apt-get install python3-dkim python3-dnspython');
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT, dns.address], { timeout: 30_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`dkimVerify.py failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as DkimVerdict);
      } catch {
        reject(new Error(`dkimVerify.py printed no verdict:\n${stdout}\n${stderr}`));
      }
    });
    child.stdin?.end(message);
  });
}
