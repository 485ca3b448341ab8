/** Sign in with another provider (issue 13): the login page's buttons and the page that proves an account is yours. */
import { html, type HtmlSafe, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, type Translator, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

/** One "Continue with <name>" button: a CSRF-checked form posted to `action`. */
export interface UpstreamChoice {
  action: string;
  name: string;
}

/** The buttons under the login form, one small form each. */
export function upstreamButtons(t: Translator, choices: readonly UpstreamChoice[], csrf: string): HtmlSafe | '' {
  if (choices.length === 0) return '';
  const forms = choices.map(
    (c) => html`<form method="post" action="${safeUrl(c.action)}" class="upstream">
${hiddenInput('csrf', csrf)}
<button type="submit" class="button button-secondary">${t.text('federation.continue_with', { provider: c.name })}</button>
</form>`,
  );
  return html`<div class="divider upstreams-or">${t.text('federation.or')}</div>
${forms}`;
}

export interface FederationLinkPageOptions extends PageChrome {
  action: string;
  csrf: string;
  /** The one-time token of this pending link (its digest is stored). */
  link: string;
  email: string;
  provider: string;
  error?: string | PageMessage;
}

/** The existing account's password, once, before the upstream identity is linked to it. */
export function federationLinkPage({ action, csrf, link, email, provider, error, ...chrome }: FederationLinkPageOptions): string {
  const t = translator(chrome.locale);
  const invalid = error ? html` aria-invalid="true" aria-describedby="link-error"` : '';
  const body = html`<h1>${t.text('federation.link_heading')}</h1>
<p class="lead">${t.markup('federation.link_lead', { email: html`<strong>${email}</strong>`, provider: html`<strong>${provider}</strong>` })}</p>
${error ? html`<div class="alert" role="alert" id="link-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
${hiddenInput('link', link)}
<input type="hidden" name="email" value="${email}" autocomplete="username">
<div class="field">
<label for="password">${t.text('login.password')}</label>
<input id="password" type="password" name="password" autocomplete="current-password" required autofocus${invalid}>
</div>
<button type="submit" class="button button-primary">${t.text('federation.link_action')}</button>
</form>`;
  return page({ title: t.text('federation.link_title'), body, ...chrome });
}

export interface UpstreamRedirectPageOptions extends PageChrome {
  href: string;
  provider: string;
}

/**
 * The way upstream when the provider's authorization endpoint is on another origin than its issuer (the login page's
 * CSP form-action allowed the issuer's): a link, followed at once by the Refresh header sent with it.
 */
export function upstreamRedirectPage({ href, provider, ...chrome }: UpstreamRedirectPageOptions): string {
  const t = translator(chrome.locale);
  const label = t.text('federation.continue_with', { provider });
  const body = html`<h1>${label}</h1>
<p><a class="button button-primary" href="${safeUrl(href)}">${label}</a></p>`;
  return page({ title: label, body, ...chrome });
}
