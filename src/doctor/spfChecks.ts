// SPF of the domain, evaluated by mailauth as a receiver would, for an address no one sends from
// (TEST-NET-1, RFC 5737): nothing matches it, so the evaluation walks every include and redirect,
// and the names it looked up say which includes the record reaches. A pass for that address means
// the record lets anyone send.
import type { DNSResolver, SPFResult } from 'mailauth';
import { spf } from 'mailauth/lib/spf';
import { combine, txtRecord, type Check, type DoctorContext, type Finding } from './check';
import { recording, txtRecords, type Lookup } from './dns';
import { smartHostSpf } from './smartHostSpf';

const PROBE_IP = '192.0.2.1';
const SPF_RECORD = /^v=spf1(\s|$)/i;

interface Evaluation {
  readonly result: SPFResult['status']['result'];
  /** mailauth's reason for an error, e.g. "Too many DNS requests" */
  readonly reason: string;
  /** the TXT names the evaluation looked up */
  readonly reached: ReadonlySet<string>;
}

async function evaluate(lookup: Lookup, domain: string): Promise<Evaluation> {
  const rec = recording(lookup);
  const answer = await spf({ sender: `postmaster@${domain}`, ip: PROBE_IP, helo: domain, mta: 'relay-doctor', resolver: rec.lookup as DNSResolver });
  const reason = /during lookup of [^:]*: (.*)$/.exec(answer.status.comment ?? '')?.[1] ?? '';
  const reached = new Set(rec.queries.filter((q) => q.type === 'TXT').map((q) => q.name));
  return { result: answer.status.result, reason, reached };
}

/** The includes of the configured smart hosts that publish one, without repeats. */
function knownIncludes(context: DoctorContext): string[] {
  return [...new Set(context.settings.smartHosts.map((h) => smartHostSpf(h.host)?.include).filter((i): i is string => i !== undefined))];
}

/** A record for a domain that has none: the smart hosts' includes, and a hard fail for the rest. */
function suggestedRecord(context: DoctorContext): string {
  const includes = knownIncludes(context);
  const terms = includes.length > 0 ? includes.map((i) => `include:${i}`).join(' ') : "ip4:<your smart host's sending addresses>";
  return txtRecord(context.domain, `v=spf1 ${terms} -all`);
}

/** The record with terms added before its closing `all` (or redirect), where receivers still read them. */
export function withTerms(record: string, terms: readonly string[]): string {
  const words = record.trim().split(/\s+/);
  const closing = words.findIndex((w) => /^[-~?+]?all$/i.test(w) || /^redirect=/i.test(w));
  const at = closing === -1 ? words.length : closing;
  return [...words.slice(0, at), ...terms, ...words.slice(at)].join(' ');
}

/** The record ending in -all instead of its +all / ?all (or with -all added). */
export function withHardFail(record: string): string {
  const words = record.trim().split(/\s+/);
  const closing = words.findIndex((w) => /^[-~?+]?all$/i.test(w));
  return closing === -1 ? [...words, '-all'].join(' ') : [...words.slice(0, closing), '-all', ...words.slice(closing + 1)].join(' ');
}

export const spfCheck: Check = {
  name: 'spf',
  async run(context) {
    const { domain } = context;
    const records = (await txtRecords(context.lookup, domain)).filter((r) => SPF_RECORD.test(r));
    const spf = await evaluate(context.lookup, domain);
    if (records.length === 0 || spf.result === 'none') {
      return { result: 'fail', found: `no v=spf1 TXT record on ${domain}`, fix: `publish ${suggestedRecord(context)}` };
    }
    if (records.length > 1) {
      return {
        result: 'fail',
        found: `${records.length} v=spf1 records (${records.map((r) => `"${r}"`).join(', ')}): receivers treat that as an error, as if there were none`,
        fix: `keep one record: merge their terms into a single "v=spf1 ... -all" on ${domain} and delete the others`,
      };
    }
    const record = records[0] ?? '';
    switch (spf.result) {
      case 'permerror':
        return {
          result: 'fail',
          found: `"${record}": ${spf.reason || 'permanent error'}`,
          fix: `correct the record (at most 10 DNS lookups, known terms only): ${spf.reason}`,
        };
      case 'temperror':
        return {
          result: 'fail',
          found: `"${record}": the lookups failed: ${spf.reason}`,
          fix: `make sure ${domain} and the names its SPF record includes answer over DNS`,
        };
      case 'pass':
        return {
          result: 'warn',
          found: `"${record}" passes mail from any host (+all)`,
          fix: `end it in -all (or ~all) so that only the listed hosts pass: ${txtRecord(domain, withHardFail(record))}`,
        };
      case 'neutral':
        return {
          result: 'warn',
          found: `"${record}" leaves hosts it does not list neutral (?all or no all)`,
          fix: `end it in -all (or ~all): ${txtRecord(domain, withHardFail(record))}`,
        };
      default:
        return { result: 'pass', found: `"${record}"`, fix: '' };
    }
  },
};

export const spfSmartHostsCheck: Check = {
  name: 'spf-smart-hosts',
  async run(context) {
    const { domain, settings } = context;
    if (settings.smartHosts.length === 0) {
      return {
        result: 'warn',
        found: 'no smart host configured (SMARTHOST_HOST is not set)',
        fix: 'set SMARTHOST_HOST (and the policy smartHosts) as the relay has them, then run again',
      };
    }
    const spf = await evaluate(context.lookup, domain);
    if (spf.result === 'temperror') {
      return {
        result: 'fail',
        found: `the SPF lookups for ${domain} failed: ${spf.reason}`,
        fix: `make sure ${domain} and the names its SPF record includes answer over DNS`,
      };
    }
    if (spf.result === 'none' || spf.result === 'permerror') {
      return { result: 'fail', found: `${domain} has no usable SPF record (see spf)`, fix: `publish ${suggestedRecord(context)}` };
    }
    const parts: Finding[] = [];
    const missing = new Set<string>();
    for (const { name, host } of settings.smartHosts) {
      const known = smartHostSpf(host);
      if (known === undefined) {
        parts.push({ result: 'pass', found: `${name} (${host}): publishes no SPF include the doctor knows, not checked`, fix: '' });
      } else if (spf.reached.has(known.include)) {
        parts.push({ result: 'pass', found: `${name} (${host}, ${known.provider}): include:${known.include} reached`, fix: '' });
      } else {
        missing.add(known.include);
        parts.push({ result: 'fail', found: `${name} (${host}, ${known.provider}): include:${known.include} missing`, fix: '' });
      }
    }
    const row = combine(parts);
    if (missing.size > 0) {
      const record = (await txtRecords(context.lookup, domain)).find((r) => SPF_RECORD.test(r)) ?? 'v=spf1 -all';
      const terms = [...missing].map((i) => `include:${i}`);
      return { ...row, fix: `add ${terms.join(' ')} to the SPF record: ${txtRecord(domain, withTerms(record, terms))}` };
    }
    if (knownIncludes(context).length === 0) {
      const hosts = settings.smartHosts.map((h) => h.host).join(', ');
      return {
        result: 'warn',
        found: row.found,
        fix: `make sure ${domain}'s SPF record allows the addresses ${hosts} sends from (ip4:/ip6: terms or its own include)`,
      };
    }
    return row;
  },
};
