// Zones for the doctor's tests, as data: one that passes every check for example.jp as the test
// policy configures it (smart hosts SendGrid and Exchange Online, DKIM selector relay2026), and
// the ways each can be broken.
import type { KeyObject } from 'node:crypto';
import { dkimRecordText } from '../../src/doctor/dkimKey';
import type { Zone, ZoneRecords } from './dnsServer';

export const DOMAIN = 'example.jp';
export const SELECTOR = 'relay2026';
export const GOOD_SPF = 'v=spf1 include:sendgrid.net include:spf.protection.outlook.com -all';
export const GOOD_DMARC = 'v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.jp';

/** The zone where everything passes: `key` is the one the policy's DKIM setting holds. */
export function goodZone(key: KeyObject): Zone {
  return {
    [DOMAIN]: { TXT: [GOOD_SPF, 'google-site-verification=doctor-test'], A: ['203.0.113.10'], MX: [{ exchange: 'mx.example.jp', priority: 10 }] },
    'mx.example.jp': { A: ['203.0.113.25'] },
    'sendgrid.net': { TXT: ['v=spf1 ip4:167.89.0.0/17 ip4:208.117.48.0/20 -all'] },
    'spf.protection.outlook.com': { TXT: ['v=spf1 ip4:40.92.0.0/15 ip4:52.100.0.0/14 -all'] },
    [`${SELECTOR}._domainkey.${DOMAIN}`]: { TXT: [dkimRecordText(key)] },
    [`_dmarc.${DOMAIN}`]: { TXT: [GOOD_DMARC] },
  };
}

/** The zone with one name's records replaced (or the name removed, with `undefined`). */
export function withName(zone: Zone, name: string, records: ZoneRecords | undefined): Zone {
  const copy = { ...zone };
  if (records === undefined) delete copy[name];
  else copy[name] = records;
  return copy;
}

/** The domain's TXT records with its SPF record replaced by these (none: no SPF). */
export function withSpf(zone: Zone, ...spf: string[]): Zone {
  const own = zone[DOMAIN] ?? {};
  const others = (own.TXT ?? []).filter((t) => !t.startsWith('v=spf1'));
  return withName(zone, DOMAIN, { ...own, TXT: [...spf, ...others] });
}
