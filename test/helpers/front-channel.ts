/**
 * Authorization responses that carry tokens (implicit and hybrid flows): delivered in the fragment of a redirect
 * or, with response_mode=form_post, as a page whose form posts them to the redirect URI.
 */
import { expect } from 'vitest';
import { type Browser, type Credentials, type NavigationResult, type Page, type ParsedForm, findConsentForm, findLoginForm, hiddenFields, parseForms } from './browser.js';

export type FrontChannelResult =
  | { mode: 'redirect'; callback: URL; params: URLSearchParams }
  | { mode: 'form_post'; page: Page; form: ParsedForm; params: URLSearchParams };

/**
 * Drives /authorize like Browser.authorize (login, consent), and also stops at a form_post page whose form
 * targets `stopAt`. Every Location header seen on the way is checked: no token or code ever travels in a query.
 */
export async function authorizeFrontChannel(
  browser: Browser,
  url: URL,
  options: { stopAt: string; credentials?: Credentials; decision?: 'allow' | 'deny' },
): Promise<FrontChannelResult> {
  let result: NavigationResult = await browser.navigate(url, { stopAt: options.stopAt });
  let loggedIn = false;
  let consented = false;
  for (let step = 0; step < 6; step++) {
    for (const page of result.trail) {
      if (page.location) expectNoCredentialsInQuery(page.location);
    }
    if (result.kind === 'redirect') {
      expectNoCredentialsInQuery(result.url);
      const params = new URLSearchParams(result.url.hash.length > 1 ? result.url.hash.slice(1) : result.url.search.slice(1));
      return { mode: 'redirect', callback: result.url, params };
    }
    const page = result.page;
    const formPost = parseForms(page.body, page.url).find((f) => f.action.href.startsWith(options.stopAt));
    if (formPost) {
      const params = hiddenFields(formPost);
      return { mode: 'form_post', page, form: formPost, params };
    }
    const login = findLoginForm(page);
    const consent = findConsentForm(page);
    if (login && options.credentials && !loggedIn) {
      loggedIn = true;
      result = await browser.submit(login, { ...options.credentials }, options);
    } else if (consent && options.decision && !consented) {
      consented = true;
      result = await browser.submit(consent, { decision: options.decision }, options);
    } else {
      throw new Error(`unexpected page during authorization: ${page.status} ${page.url.href}\n${page.body.slice(0, 1200)}`);
    }
  }
  throw new Error('authorization did not finish');
}

/** OAuth 2.0 Multiple Response Types §5: tokens (and codes of a response that also has tokens) never in a query. */
export function expectNoCredentialsInQuery(url: URL): void {
  for (const name of ['access_token', 'id_token', 'refresh_token']) {
    expect(url.searchParams.has(name), `${name} in the query of ${url.href}`).toBe(false);
  }
}

/** The POST an application receives when the form_post page submits (what a real browser would send). */
export function formPostRequest(form: ParsedForm): Request {
  return new Request(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: hiddenFields(form) });
}
