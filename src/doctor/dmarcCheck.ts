// DMARC: mailauth finds the record (at _dmarc.<domain>, else at the organisational domain's) and
// judges relaxed alignment of the DKIM signing domain and the envelope (SPF) domain with the From
// domain. Strict alignment (adkim=s / aspf=s) is an exact match of the names (RFC 7489 3.1), checked
// here. DKIM alignment alone passes DMARC, so an unaligned envelope is a warning; the reverse too,
// since SPF alignment does not survive forwarding.
import type { DNSResolver } from 'mailauth';
import { dmarc } from 'mailauth/lib/dmarc';
import { combine, txtRecord, type Check, type DoctorContext, type Finding } from './check';
import { recording } from './dns';

const DMARC_RECORD = /^v=DMARC1\b/i;

/** A record to start with: reports, and nothing refused until they show the mail aligned. */
function starterRecord(domain: string): string {
  return txtRecord(`_dmarc.${domain}`, `v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}`);
}

/** The domain DKIM signs with: the From domain, when the relay has a key for it or a selector was given. */
function signingDomain(context: DoctorContext): string | undefined {
  return context.settings.dkim !== undefined || context.selector !== undefined ? context.domain : undefined;
}

function envelope(context: DoctorContext): { domain: string; from: string } {
  const bounce = context.settings.bounceDomain;
  return bounce !== undefined
    ? { domain: bounce, from: `RELAY_BOUNCE_DOMAIN ${bounce}` }
    : { domain: context.domain, from: `the From domain ${context.domain}` };
}

export const dmarcCheck: Check = {
  name: 'dmarc',
  async run(context): Promise<Finding> {
    const { domain } = context;
    const rec = recording(context.lookup);
    const dkimDomain = signingDomain(context);
    const env = envelope(context);
    const answer = await dmarc({
      headerFrom: domain,
      spfDomains: [env.domain],
      dkimDomains: dkimDomain === undefined ? [] : [{ domain: dkimDomain }],
      resolver: rec.lookup as DNSResolver,
    });
    if (answer === false || answer.status.result === 'temperror') {
      return { result: 'fail', found: `the DMARC lookup failed${answer ? `: ${answer.error ?? ''}` : ''}`, fix: `make sure _dmarc.${domain} answers over DNS` };
    }
    if (answer.status.result === 'none') {
      const duplicate = rec.queries.find(
        (q) => q.type === 'TXT' && (q.answer ?? []).filter((r) => Array.isArray(r) && DMARC_RECORD.test(r.join(''))).length > 1,
      );
      if (duplicate)
        return {
          result: 'fail',
          found: `several DMARC records at ${duplicate.name}: receivers ignore them all`,
          fix: `keep one v=DMARC1 record at ${duplicate.name}`,
        };
      return {
        result: 'fail',
        found: `no DMARC record at _dmarc.${domain} (nor at its organisational domain)`,
        fix: `publish ${starterRecord(domain)}, then p=quarantine once the reports show your mail aligned`,
      };
    }
    const record = answer.rr ?? '';
    const at = rec.queries.some((q) => q.name === `_dmarc.${domain}` && q.answer !== undefined && q.answer.length > 0)
      ? `_dmarc.${domain}`
      : `_dmarc.${answer.domain}`;
    const policy = (answer.policy ?? '').toLowerCase();
    const parts: Finding[] = [{ result: 'pass', found: `"${record}" at ${at}`, fix: '' }];
    if (!['none', 'quarantine', 'reject'].includes(policy)) {
      return {
        result: 'fail',
        found: `"${record}" at ${at} has no valid p= (none, quarantine or reject): receivers ignore it`,
        fix: `publish ${starterRecord(domain)}`,
      };
    }
    if (policy === 'none') {
      // a subdomain under its organisation's record gets sp= where there is one (RFC 7489 6.6.3)
      const tag = at !== `_dmarc.${domain}` && /(^|;)\s*sp\s*=/i.test(record) ? 'sp' : 'p';
      parts.push({
        result: 'warn',
        found: `${tag}=none: receivers act on nothing that fails`,
        fix: `once the reports show your mail aligned: ${txtRecord(at, record.replace(new RegExp(`(^|;)(\\s*)${tag}\\s*=\\s*none\\b`, 'i'), `$1$2${tag}=quarantine`))}`,
      });
    }
    const dkimAligned = dkimDomain !== undefined && (answer.alignment.dkim.strict ? dkimDomain === domain : Boolean(answer.alignment.dkim.result));
    const spfAligned = answer.alignment.spf.strict ? env.domain === domain : Boolean(answer.alignment.spf.result);
    const aspf = answer.alignment.spf.strict ? 'aspf=s: the same name' : 'aspf=r: the same organisational domain';
    const spfWords = `the envelope domain (${env.from}) is not aligned with ${domain} (${aspf})`;
    const spfFix = `set RELAY_BOUNCE_DOMAIN to ${answer.alignment.spf.strict ? domain : `a subdomain of ${answer.domain}`}, or leave it unset`;
    if (!dkimAligned && !spfAligned) {
      parts.push({
        result: 'fail',
        found: `DMARC fails: no DKIM signature for ${domain} and ${spfWords}`,
        fix: `sign with a key for ${domain} (policy dkim.${domain}), which passes DMARC on its own; or ${spfFix}`,
      });
    } else if (!spfAligned) {
      parts.push({ result: 'warn', found: `${spfWords}: DMARC passes on DKIM alone`, fix: `to align SPF too, ${spfFix}` });
    } else if (!dkimAligned) {
      parts.push({
        result: 'warn',
        found: `no DKIM signature for ${domain}: DMARC passes on SPF alone, which forwarding breaks`,
        fix: `sign with a key for ${domain}: add dkim.${domain} to the policy`,
      });
    } else {
      parts.push({ result: 'pass', found: `DKIM (d=${dkimDomain}) and SPF (${env.domain}) aligned`, fix: '' });
    }
    return combine(parts);
  },
};
