// One check of the doctor: a function of what it knows (the domain, the relay's configuration, DNS)
// to a verdict, what it found, and the fix in words an operator can act on.
import type { Lookup } from './dns';
import type { DoctorSettings } from './settings';

export type Verdict = 'pass' | 'warn' | 'fail';

export interface Finding {
  readonly result: Verdict;
  readonly found: string;
  /** empty when there is nothing to do */
  readonly fix: string;
}

export interface CheckResult extends Finding {
  readonly check: string;
}

export interface DoctorContext {
  /** lower case */
  readonly domain: string;
  /** --selector, which overrides the policy's */
  readonly selector?: string;
  readonly settings: DoctorSettings;
  readonly lookup: Lookup;
}

export interface Check {
  readonly name: string;
  readonly run: (context: DoctorContext) => Promise<Finding>;
}

const ORDER: Readonly<Record<Verdict, number>> = { pass: 0, warn: 1, fail: 2 };

/** The worse of the verdicts; pass for none. */
export function worst(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((a, b) => (ORDER[b] > ORDER[a] ? b : a), 'pass');
}

/** Several observations of one check in one row: the worst verdict, the findings and fixes joined. */
export function combine(parts: readonly Finding[]): Finding {
  return {
    result: worst(parts.map((p) => p.result)),
    found: parts
      .map((p) => p.found)
      .filter(Boolean)
      .join('; '),
    fix: parts
      .map((p) => p.fix)
      .filter(Boolean)
      .join('; '),
  };
}

/**
 * `name TXT "text"`, as a zone file writes it; text over 255 characters in 255-character strings
 * ("..." "..."), the most one TXT string holds (receivers join them).
 */
export function txtRecord(name: string, text: string): string {
  const strings: string[] = [];
  for (let i = 0; i < text.length; i += 255) strings.push(`"${text.slice(i, i + 255)}"`);
  return `${name} TXT ${strings.length > 0 ? strings.join(' ') : '""'}`;
}
