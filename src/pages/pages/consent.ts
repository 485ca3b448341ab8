import { html, type HtmlSafe, safeUrl } from '../html.js';
import { assetPath, page, type PageChrome } from '../layout.js';
import { type Translator, translator } from '../messages/index.js';
import type { ConsentApi } from '../scopes.js';
import { decisionForm, scopeList } from './parts.js';

/** RFC 7591 §2 metadata of the client, shown when registered. */
export interface ConsentClient {
  /** Same-origin URL of the fetched copy of the client's logo_uri, only when a copy could be fetched. */
  logoSrc?: string | undefined;
  clientUri?: string | undefined;
  policyUri?: string | undefined;
  tosUri?: string | undefined;
}

export interface ConsentPageOptions extends PageChrome {
  action: string;
  csrf: string;
  clientName: string;
  userEmail: string;
  scopes: readonly string[];
  client?: ConsentClient;
  /** The API the access token is for (RFC 8707), with its scope descriptions. */
  api?: ConsentApi;
}

function href(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const safe = safeUrl(url);
    return safe.startsWith('/') ? undefined : safe;
  } catch {
    return undefined;
  }
}

/** The client's own pages (RFC 7591 §2: client_uri, policy_uri, tos_uri), for the person to read before deciding. */
export function clientLinks(t: Translator, clientName: string, client: ConsentClient | undefined): HtmlSafe | '' {
  const links = (
    [
      ['client_uri', client?.clientUri, 'consent.client_uri'],
      ['policy_uri', client?.policyUri, 'consent.policy_uri'],
      ['tos_uri', client?.tosUri, 'consent.tos_uri'],
    ] as const
  ).flatMap(([name, url, key]) => {
    const target = href(url);
    return target ? [html`<li><a class="client-${name.replace('_', '-')}" href="${target}" rel="noopener noreferrer" target="_blank">${t.text(key)}</a></li>`] : [];
  });
  if (links.length === 0) return '';
  return html`<nav class="client-links" aria-label="${t.text('consent.about_client', { client: clientName })}"><ul>${links}</ul></nav>`;
}

export function clientLogo(client: ConsentClient | undefined): HtmlSafe | '' {
  const src = assetPath(client?.logoSrc);
  return src ? html`<img class="client-logo" src="${src}" alt="" width="64" height="64">\n` : '';
}

export function consentPage({ action, csrf, clientName, userEmail, scopes, client, api, ...chrome }: ConsentPageOptions): string {
  const t = translator(chrome.locale);
  const strong = html`<strong>${clientName}</strong>`;
  const list = scopeList(t, clientName, scopes, html`<p>${t.markup('consent.lead', { client: strong })}</p>`, api);
  const body = html`${clientLogo(client)}<h1>${t.markup('consent.heading', { client: html`<span class="client-name">${clientName}</span>` })}</h1>
<p class="account"><span>${t.markup('consent.signed_in_as', { email: html`<strong>${userEmail}</strong>` })}</span></p>
${list}
<p class="muted">${t.text('consent.trust', { client: clientName })}</p>
${clientLinks(t, clientName, client)}
${decisionForm(t, action, csrf)}`;
  return page({ title: t.text('consent.title', { client: clientName }), body, ...chrome });
}
