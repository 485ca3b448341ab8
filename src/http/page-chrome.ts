/**
 * What every page shows besides its own content: the language (ui_locales, then Accept-Language, then English) and
 * the operator's branding, read from the store on every render so that a change shows at once on every instance.
 * A store that cannot be read (an outage page, say) falls back to the LATCH_BRAND_* config.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { type EffectiveBranding, effectiveBranding, getBranding } from '../admin/branding.js';
import { brandCss, brandCssTag } from '../pages/brand-css.js';
import { negotiateLocale, type PageBranding, type PageChrome, type ConsentApi, type ConsentClient, type Locale } from '../pages/index.js';
import type { LogoSource } from '../pages/logo-cache.js';
import type { ClientRecord } from '../storage/types.js';
import type { AppContext } from './context.js';

export type PageDeps = Pick<AppContext, 'store' | 'config' | 'logos'>;

/** Chrome with both parts present: what routes pass to page functions. */
export interface ResolvedChrome extends PageChrome {
  locale: Locale;
  branding: PageBranding;
}

export const brandLogoPath = '/assets/logo/brand';
export const brandStylesheetPath = '/assets/brand.css';

export function clientLogoPath(clientId: string): string {
  return `/assets/logo/client/${encodeURIComponent(clientId)}`;
}

/** The version of a copy in its URL: a new logo is a new URL, so caches never show the old one on a new page. */
function versioned(path: string, etag: string): string {
  return `${path}?v=${encodeURIComponent(etag.replace(/"/g, ''))}`;
}

export async function readBranding(deps: Pick<AppContext, 'store' | 'config'>, log?: FastifyBaseLogger): Promise<EffectiveBranding> {
  try {
    return await getBranding(deps.store, deps.config);
  } catch (err) {
    log?.warn({ err, event: 'pages.branding_unavailable' }, 'the branding could not be read; the pages use the LATCH_BRAND_* settings');
    return effectiveBranding(undefined, deps.config);
  }
}

/** ui_locales of the authorization request, else of this request's query (logout, an /authorize error), else none. */
export function requestLocale(request: FastifyRequest, uiLocales?: string): Locale {
  const query = request.query as Record<string, unknown> | undefined;
  if (uiLocales === undefined && typeof query?.ui_locales === 'string') uiLocales = query.ui_locales;
  const header = request.headers['accept-language'];
  return negotiateLocale({ uiLocales, acceptLanguage: Array.isArray(header) ? header.join(',') : header });
}

async function logoSrc(logos: LogoSource, url: string | null | undefined, path: string): Promise<string | undefined> {
  if (!url) return undefined;
  const copy = await logos.get(url).catch(() => undefined);
  return copy && versioned(path, copy.etag);
}

/** The page chrome of this request; `uiLocales` is the authorization request's (kept in the interaction). */
export async function pageChrome(
  deps: PageDeps,
  request: FastifyRequest,
  options: { uiLocales?: string | undefined; storeUnavailable?: boolean } = {},
): Promise<ResolvedChrome> {
  // An outage page must not wait for the store it is about: the config's branding then.
  const branding = options.storeUnavailable ? effectiveBranding(undefined, deps.config) : await readBranding(deps, request.log);
  const css = branding.primaryColor ? brandCss(branding.primaryColor) : undefined;
  return {
    locale: requestLocale(request, options.uiLocales),
    branding: {
      productName: branding.productName,
      logoSrc: await logoSrc(deps.logos, branding.logoUri, brandLogoPath),
      stylesheet: css ? `${brandStylesheetPath}?v=${brandCssTag(css)}` : undefined,
      links: branding.links,
    },
  };
}

/** RFC 7591 §2 metadata for the consent page, with a same-origin copy of logo_uri when one could be fetched. */
export async function consentClient(deps: Pick<AppContext, 'logos'>, client: ClientRecord): Promise<ConsentClient> {
  const { metadata } = client;
  return {
    logoSrc: await logoSrc(deps.logos, metadata.logo_uri, clientLogoPath(client.clientId)),
    clientUri: metadata.client_uri,
    policyUri: metadata.policy_uri,
    tosUri: metadata.tos_uri,
  };
}

/** The API a request's access token is for (RFC 8707 resource, else the client's default), as consent shows it. */
export async function consentApi(deps: Pick<AppContext, 'store'>, client: ClientRecord, resource: string | undefined): Promise<ConsentApi | undefined> {
  const identifier = resource ?? client.metadata.latch_default_resource;
  if (identifier === undefined) return undefined;
  const api = await deps.store.apis.find(identifier);
  return api && { name: api.name || api.identifier, scopeDescriptions: api.scopeDescriptions ?? {} };
}

/** The chrome of this request, got only when a page is shown (redirects never read the branding). */
export function lazyChrome(deps: PageDeps, request: FastifyRequest, uiLocales?: string): () => Promise<ResolvedChrome> {
  return () => pageChrome(deps, request, { uiLocales });
}
