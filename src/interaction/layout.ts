import { html, raw, type HtmlSafe } from './html.js';

/** Options every page accepts besides its own. */
export interface PageChrome {
  /** BCP 47 language tag for `<html lang>`; anything else falls back to "en". */
  lang?: string;
  /** Name shown at the top of the card and in the title; defaults to "Latch". */
  brand?: string;
}

export interface PageOptions extends PageChrome {
  title: string;
  body: HtmlSafe;
}

const languageTag = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

const mark = raw(
  '<svg class="brand-mark" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path d="M8 10V7a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>' +
    '<rect x="4" y="10" width="16" height="11" rx="2.5" fill="currentColor"/>' +
    '<circle class="brand-keyhole" cx="12" cy="15.5" r="1.75"/>' +
    '</svg>',
);

export function page({ title, body, lang, brand = 'Latch' }: PageOptions): string {
  const language = lang !== undefined && languageTag.test(lang) ? lang : 'en';
  return html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex, nofollow">
<title>${title} · ${brand}</title>
<link rel="stylesheet" href="/assets/latch.css">
</head>
<body>
<main class="card">
<header class="brand">${mark}<span class="brand-name">${brand}</span></header>
${body}
</main>
</body>
</html>
`.toString();
}
