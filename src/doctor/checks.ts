// The doctor's checks, in the order the table shows them: what receivers check of a sender domain.
import { addressCheck, mxCheck } from './addressChecks';
import type { Check, CheckResult, DoctorContext } from './check';
import { dkimCheck } from './dkimCheck';
import { dmarcCheck } from './dmarcCheck';
import { spfCheck, spfSmartHostsCheck } from './spfChecks';

/** node:dns's codes for a server that did not answer, or answered with an error. */
const DNS_FAILURES = new Set([
  'ETIMEOUT',
  'ECONNREFUSED',
  'ESERVFAIL',
  'EREFUSED',
  'EBADRESP',
  'ECANCELLED',
  'EBADFAMILY',
  'EFORMERR',
  'ENOTIMP',
  'ECONNRESET',
]);

export const CHECKS: readonly Check[] = [spfCheck, spfSmartHostsCheck, dkimCheck, dmarcCheck, addressCheck, mxCheck];

/** Runs the checks side by side; a DNS failure inside one fails that check, naming the error. */
export async function runChecks(context: DoctorContext, checks: readonly Check[] = CHECKS): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (check) => {
      try {
        return { check: check.name, ...(await check.run(context)) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!DNS_FAILURES.has(code)) throw err;
        return {
          check: check.name,
          result: 'fail' as const,
          found: `DNS lookup failed: ${code}`,
          fix: 'make sure the DNS server answers (--dns-server host:port picks another) and run again',
        };
      }
    }),
  );
}
