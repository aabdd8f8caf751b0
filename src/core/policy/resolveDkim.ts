// The policy file's `dkim` map: one key per sender (header-From) domain. The schema checked the
// selector and the setting's name; this makes the domain lower case and A-label, as the relay keys
// the From domain, and refuses two spellings of one domain. The key itself is read at start-up
// (src/dkimKeys.ts): the file names the setting that holds it, never the key.
import { parseDomain } from './parse';
import { isObject, type Json, type Problems, step } from './resolveParts';
import type { DkimDomain } from './types';

export function resolveDkim(entries: Json, problems: Problems): ReadonlyMap<string, DkimDomain> {
  const domains = new Map<string, DkimDomain>();
  const spelt = new Map<string, string>();
  for (const [key, entry] of Object.entries(entries)) {
    const path = `/dkim/${step(key)}`;
    const parsed = parseDomain(key);
    if (!parsed.ok) {
      problems.add(path, parsed.problem);
      continue;
    }
    const first = spelt.get(parsed.value);
    if (first !== undefined) {
      problems.add(path, `${JSON.stringify(key)} is the domain ${JSON.stringify(first)} is too: give each sender domain one key`);
      continue;
    }
    spelt.set(parsed.value, key);
    if (!isObject(entry) || typeof entry.selector !== 'string' || typeof entry.privateKeySetting !== 'string') continue;
    domains.set(parsed.value, { domain: parsed.value, selector: entry.selector, privateKeySetting: entry.privateKeySetting });
  }
  return domains;
}
