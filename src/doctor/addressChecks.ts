// The domain's own records: an address or MX (docomo refuses mail whose header-From domain has
// neither: deliverability.md, after docomo's page for senders to docomo mail, smtp_notice), and its MX,
// where replies go; with RELAY_BOUNCE_DOMAIN, that domain's MX too, where the bounces go.
import { combine, type Check, type Finding } from './check';
import { answersOrNone, type Lookup } from './dns';

interface Mx {
  readonly exchange: string;
  readonly priority: number;
}

async function mxOf(lookup: Lookup, domain: string): Promise<Mx[]> {
  const answer = (await answersOrNone(lookup, domain, 'MX')) as Mx[];
  return [...answer].sort((a, b) => a.priority - b.priority);
}

function mxText(records: readonly Mx[]): string {
  return records.map((r) => `MX ${r.priority} ${r.exchange || '.'}`).join(', ');
}

export const addressCheck: Check = {
  name: 'address',
  async run({ domain, lookup }) {
    const [a, aaaa, mx] = await Promise.all([answersOrNone(lookup, domain, 'A'), answersOrNone(lookup, domain, 'AAAA'), mxOf(lookup, domain)]);
    const seen = [...a.map((x) => `A ${String(x)}`), ...aaaa.map((x) => `AAAA ${String(x)}`), ...(mx.length > 0 ? [mxText(mx)] : [])];
    if (seen.length > 0) return { result: 'pass', found: seen.join(', '), fix: '' };
    return {
      result: 'fail',
      found: `no A, AAAA or MX record on ${domain}`,
      fix: `publish an MX record (or an A/AAAA record) for ${domain}: docomo refuses mail whose From domain has none`,
    };
  },
};

async function mxFinding(lookup: Lookup, domain: string, role: string, missing: string): Promise<Finding> {
  const mx = await mxOf(lookup, domain);
  if (mx.length === 0)
    return {
      result: 'warn',
      found: `no MX on ${domain}${role}: ${missing}`,
      fix: `publish an MX record for ${domain} pointing at the host that receives its mail`,
    };
  if (mx.every((r) => r.exchange === '' || r.exchange === '.')) {
    return {
      result: 'warn',
      found: `null MX on ${domain}${role} (it receives no mail): ${missing}`,
      fix: `replace the null MX of ${domain} with the host that receives its mail`,
    };
  }
  const unresolved: string[] = [];
  for (const { exchange } of mx) {
    const [a, aaaa] = await Promise.all([answersOrNone(lookup, exchange, 'A'), answersOrNone(lookup, exchange, 'AAAA')]);
    if (a.length === 0 && aaaa.length === 0) unresolved.push(exchange);
  }
  if (unresolved.length > 0) {
    return {
      result: 'warn',
      found: `${mxText(mx)} on ${domain}${role}; ${unresolved.join(', ')} has no address`,
      fix: `give ${unresolved.join(', ')} an A or AAAA record, or point the MX elsewhere`,
    };
  }
  return { result: 'pass', found: `${mxText(mx)} on ${domain}${role}`, fix: '' };
}

export const mxCheck: Check = {
  name: 'mx',
  async run({ domain, lookup, settings }) {
    const parts = [await mxFinding(lookup, domain, '', 'replies and bounces to its addresses have nowhere to go')];
    const bounce = settings.bounceDomain;
    if (bounce !== undefined && bounce !== domain) {
      parts.push(await mxFinding(lookup, bounce, ' (RELAY_BOUNCE_DOMAIN)', 'bounces to the VERP return paths are lost'));
    }
    return combine(parts);
  },
};
