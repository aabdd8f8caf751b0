// Which language the dashboard answers in, chosen on the server so the first paint and the page's
// `lang` are right: `?lang=` (the page's switch writes it), then the choice the switch remembered in
// a cookie, then the browser's Accept-Language by its q-values; English when none names a language
// the page has. An unknown or malformed value is passed over, never refused: the page takes no input.

export const DASHBOARD_LANGUAGES = ['en', 'ja'] as const;
export type DashboardLanguage = (typeof DASHBOARD_LANGUAGES)[number];
export const LANGUAGE_COOKIE = 'relay-dashboard-lang';

/** What the request says about language: the `lang` query value, the Cookie and Accept-Language headers. */
export interface LanguageAsk {
  query?: string | null;
  cookie?: string | null;
  acceptLanguage?: string | null;
}

function supported(tag: string | undefined): DashboardLanguage | undefined {
  const primary = (tag ?? '').trim().split('-')[0]?.toLowerCase();
  return DASHBOARD_LANGUAGES.find((l) => l === primary);
}

function fromCookie(header: string): DashboardLanguage | undefined {
  for (const pair of header.split(';')) {
    const [name, value] = pair.split('=');
    if (name?.trim() === LANGUAGE_COOKIE) return supported(value);
  }
  return undefined;
}

/** Accept-Language's languages, most wanted first (equal q-values keep their order); q=0 means "not this one". */
function fromAcceptLanguage(header: string): DashboardLanguage | undefined {
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => /^q\s*=/i.test(p));
      // a q-value that is not one (q=abc) counts as q=0: a malformed hint is no hint
      const value = q === undefined ? '1' : (/^q\s*=\s*([01](?:\.\d{0,3})?)$/i.exec(q)?.[1] ?? '0');
      return { tag: (tag ?? '').trim(), weight: Number(value), index };
    })
    .filter((r) => r.tag !== '' && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === '*') return 'en';
    const language = supported(tag);
    if (language) return language;
  }
  return undefined;
}

export function dashboardLanguage(ask: LanguageAsk = {}): DashboardLanguage {
  return supported(ask.query ?? undefined) ?? fromCookie(ask.cookie ?? '') ?? fromAcceptLanguage(ask.acceptLanguage ?? '') ?? 'en';
}
