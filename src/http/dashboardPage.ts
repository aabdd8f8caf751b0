// GET /api/dashboard's answer: the page scripts/bundleDashboard.js built from src/http/dashboard
// (uPlot and the page's own style and scripts inlined), in the language the request asks for
// (dashboardLanguage.ts), with the Content-Security-Policy that allows only those inline blocks (the
// same scripts in every language, so one policy). It holds no data: the page reads GET /api/v1/stats
// and the message endpoints with the operator key it was opened with.
import type { HttpResponseInit } from '@azure/functions';
import bundle from './dashboard/page.generated.json';
import { type DashboardLanguage, dashboardLanguage, type LanguageAsk } from './dashboardLanguage';

const PAGES: Record<DashboardLanguage, string> = bundle.pages;

export function dashboardResponse(ask: LanguageAsk = {}): HttpResponseInit {
  const language = dashboardLanguage(ask);
  return {
    status: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Language': language,
      'Content-Security-Policy': bundle.contentSecurityPolicy,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      Vary: 'Accept-Language, Cookie',
    },
    body: PAGES[language],
  };
}
