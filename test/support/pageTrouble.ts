// What a page under test did wrong (console errors, uncaught exceptions, failed or refused
// requests), and a time as a browser in Tokyo writes it: for the dashboard's browser tests.
import type { Page } from 'playwright-core';

/** What went wrong in the page: console errors, uncaught exceptions, failed or refused requests. */
export interface PageTrouble {
  problems: string[];
  /** answers of 400 and up, by URL, so a test can allow one it expects */
  refused: { url: string; status: number }[];
}

export function watch(page: Page): PageTrouble {
  const trouble: PageTrouble = { problems: [], refused: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') trouble.problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => trouble.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => trouble.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) trouble.refused.push({ url: r.url(), status: r.status() });
  });
  return trouble;
}

/** A page's trouble, leaving out what `allowed` says was expected (a 404 and the console line Chromium logs for it). */
export function unexpected(trouble: PageTrouble, allowed: (url: string) => boolean = () => false): string[] {
  const refused = trouble.refused.filter((r) => !allowed(r.url)).map((r) => `answered ${r.status}: ${r.url}`);
  const problems = trouble.problems.filter((p) => !(/Failed to load resource/.test(p) && trouble.refused.some((r) => allowed(r.url) && p.includes(r.url))));
  return [...problems, ...refused];
}

/** `iso` as the dashboard shows it to a browser in Japan (locale ja-JP, time zone Asia/Tokyo): "2026/12/02 09:15:00 JST". */
export function inTokyo(iso: string): string {
  return new Intl.DateTimeFormat('ja-JP', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Asia/Tokyo',
    timeZoneName: 'short',
  }).format(new Date(iso));
}
