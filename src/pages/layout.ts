import { html, raw, type HtmlSafe, safeUrl } from './html.js';
import { DEFAULT_LOCALE, type Locale, translator } from './messages/index.js';

/** What the operator's branding puts on every page (admin/branding.ts resolves it; http/page-chrome.ts passes it). */
export interface PageBranding {
  /** Title and header; defaults to "Latch". */
  productName: string;
  /** Same-origin URL of the logo copy (/assets/logo/brand?...), only when a copy could be fetched. */
  logoSrc?: string | undefined;
  /** Same-origin URL of the brand stylesheet (/assets/brand.css?...), when a primary colour is set. */
  stylesheet?: string | undefined;
  links?: { privacy?: string | null; terms?: string | null; support?: string | null };
}

/** Options every page accepts besides its own. */
export interface PageChrome {
  /** The page's language (messages and `<html lang>`); English by default. */
  locale?: Locale;
  branding?: PageBranding;
}

export interface PageOptions extends PageChrome {
  title: string;
  body: HtmlSafe;
}

const mark = raw(
  '<svg class="brand-mark" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
    '<path d="M8 10V7a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>' +
    '<rect x="4" y="10" width="16" height="11" rx="2.5" fill="currentColor"/>' +
    '<circle class="brand-keyhole" cx="12" cy="15.5" r="1.75"/>' +
    '</svg>',
);

/** A path on this server under /assets/ (img-src and style-src stay 'self'), or nothing. */
export function assetPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/assets/')) return undefined;
  try {
    return safeUrl(url);
  } catch {
    return undefined;
  }
}

/** A link of the operator's, or nothing when it is not a plain http(s) URL (so a bad value never breaks a page). */
function linkHref(url: string | null | undefined): string | undefined {
  if (!url || url.startsWith('/')) return undefined;
  try {
    return safeUrl(url);
  } catch {
    return undefined;
  }
}

function footer(locale: Locale, links: PageBranding['links']): HtmlSafe | '' {
  const t = translator(locale);
  const items = (
    [
      ['privacy', 'page.privacy'],
      ['terms', 'page.terms'],
      ['support', 'page.support'],
    ] as const
  ).flatMap(([name, key]) => {
    const href = linkHref(links?.[name]);
    return href ? [html`<li><a class="footer-${name}" href="${href}" rel="noopener noreferrer">${t.text(key)}</a></li>`] : [];
  });
  if (items.length === 0) return '';
  return html`<footer class="page-footer">
<nav aria-label="${t.text('page.footer_label')}"><ul>${items}</ul></nav>
</footer>
`;
}

export function page({ title, body, locale = DEFAULT_LOCALE, branding }: PageOptions): string {
  const productName = branding?.productName || 'Latch';
  const stylesheet = assetPath(branding?.stylesheet);
  const logo = assetPath(branding?.logoSrc);
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex, nofollow">
<title>${title} · ${productName}</title>
<link rel="stylesheet" href="/assets/latch.css">
${stylesheet ? html`<link rel="stylesheet" href="${stylesheet}">\n` : ''}</head>
<body>
<main class="card">
<header class="brand">${logo ? html`<img class="brand-logo" src="${logo}" alt="">` : mark}<span class="brand-name">${productName}</span></header>
${body}
</main>
${footer(locale, branding?.links)}</body>
</html>
`.toString();
}
