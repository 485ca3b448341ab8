/**
 * The pages in the person's language over real HTTP: OIDC Core §3.1.2.1 ui_locales on /authorize (kept for every page
 * of the journey), then Accept-Language, then English; discovery's ui_locales_supported lists exactly the catalogues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCALES } from '../../src/pages/index.js';
import { Browser, decodeHtml, findLoginForm, type Page, postLogin } from '../helpers/browser.js';
import { authorizeUrl, getJson, pkcePair, random } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer, type TestUser } from '../helpers/server.js';

let ts: TestServer;
let user: TestUser;
let web: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  user = await ts.user();
  web = await ts.client({ kind: 'web', name: 'Fotoalbum' });
});

afterAll(async () => {
  await ts?.close();
});

function requestUrl(extra: Record<string, string> = {}, client = web): URL {
  return authorizeUrl(ts, {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid email',
    state: random(),
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
}

async function pageAt(browser: Browser, url: URL): Promise<Page> {
  const result = await browser.navigate(url, { stopAt: web.redirectUri });
  if (result.kind !== 'page') throw new Error(`expected a page, got a redirect to ${result.url.href}`);
  return result.page;
}

function langOf(page: Page): string | undefined {
  return /<html lang="([^"]+)">/.exec(page.body)?.[1];
}

function text(page: Page): string {
  return decodeHtml(page.body.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

describe('discovery', () => {
  it('lists exactly the languages of the catalogues as ui_locales_supported', async () => {
    const res = await getJson(`${ts.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.body.ui_locales_supported).toEqual(['en', 'de', 'fr', 'es']);
    expect(res.body.ui_locales_supported).toEqual([...LOCALES]);
  });
});

describe('the login page', () => {
  it('speaks German for ui_locales=de, and keeps German through a failed sign-in and on the consent page', async () => {
    const browser = new Browser();
    const login = await pageAt(browser, requestUrl({ ui_locales: 'de' }));
    expect(login.status).toBe(200);
    expect(login.url.pathname).toMatch(/^\/interaction\//);
    expect(langOf(login)).toBe('de');
    expect(login.body).toContain('<title>Anmelden · Latch</title>');
    expect(login.body).toContain('<label for="email">E-Mail-Adresse</label>');
    expect(login.body).toContain('<label for="password">Passwort</label>');
    expect(text(login)).toContain('weiter zu Fotoalbum');
    expect(login.body).not.toContain('Email address');

    // The interaction keeps the request's ui_locales: the page shown again after a wrong password is German too.
    const wrong = await postLogin(browser, login, user.email, 'not the password');
    expect(wrong.status).toBe(401);
    expect(langOf(wrong)).toBe('de');
    expect(text(wrong)).toContain('E-Mail-Adresse oder Passwort ist falsch.');

    const signedIn = await postLogin(browser, wrong, user.email, user.password);
    expect(signedIn.status).toBe(303);
    const consent = await pageAt(browser, signedIn.location!);
    expect(langOf(consent)).toBe('de');
    expect(text(consent)).toContain('Fotoalbum möchte auf Ihr Konto zugreifen');
    expect(text(consent)).toContain('Ihre E-Mail-Adresse');
    expect(consent.body).toMatch(/<button type="submit" name="decision" value="allow"[^>]*>Erlauben<\/button>/);
  });

  it('speaks French for ui_locales="ja fr-CA fr" (the first supported tag, by its primary subtag)', async () => {
    const page = await pageAt(new Browser(), requestUrl({ ui_locales: 'ja fr-CA fr' }));
    expect(langOf(page)).toBe('fr');
    expect(page.body).toContain('<label for="password">Mot de passe</label>');
    expect(page.body).toContain('<label for="email">Adresse e-mail</label>');
    expect(page.body).toContain('<title>Connexion · Latch</title>');
    expect(text(page)).toContain('pour accéder à Fotoalbum');
  });

  it('prefers ui_locales over Accept-Language', async () => {
    const page = await pageAt(new Browser({ headers: { 'accept-language': 'de-DE,de;q=0.9' } }), requestUrl({ ui_locales: 'es' }));
    expect(langOf(page)).toBe('es');
    expect(page.body).toContain('<label for="password">Contraseña</label>');
  });

  it('falls back to Accept-Language with q-values, matching de-CH to German', async () => {
    const swiss = await pageAt(new Browser({ headers: { 'accept-language': 'de-CH' } }), requestUrl());
    expect(langOf(swiss)).toBe('de');
    expect(swiss.body).toContain('Passwort');
    const weighted = await pageAt(new Browser({ headers: { 'accept-language': 'en;q=0.3, ja, fr;q=0.8, es;q=0.5' } }), requestUrl({ ui_locales: 'pt-BR' }));
    expect(langOf(weighted)).toBe('fr');
    expect(weighted.body).toContain('Mot de passe');
  });

  it('is English for an unknown locale, and without any preference', async () => {
    for (const browser of [new Browser({ headers: { 'accept-language': 'ja-JP, pt;q=0.5' } }), new Browser()]) {
      const page = await pageAt(browser, requestUrl({ ui_locales: 'xx-YY' }));
      expect(langOf(page)).toBe('en');
      expect(page.body).toContain('<label for="email">Email address</label>');
      expect(page.body).toContain('<title>Sign in · Latch</title>');
      expect(findLoginForm(page)).toBeDefined();
    }
  });
});

describe('the other pages', () => {
  it('shows an error page (unknown client) in the language of Accept-Language, with the protocol details apart', async () => {
    const page = await new Browser({ headers: { 'accept-language': 'fr' } }).request(requestUrl({}, { ...web, clientId: 'no-such-client' }));
    expect(page.status).toBe(400);
    expect(langOf(page)).toBe('fr');
    expect(text(page)).toContain('Une erreur s’est produite');
    expect(text(page)).toContain('Code d’erreur');
  });

  it('shows an error page in the language of ui_locales on /authorize', async () => {
    const page = await new Browser().request(requestUrl({ ui_locales: 'de' }, { ...web, redirectUri: 'https://evil.example/cb' }));
    expect(page.status).toBe(400);
    expect(langOf(page)).toBe('de');
    expect(text(page)).toContain('Etwas ist schiefgelaufen');
  });

  it('shows the device code page in the language of Accept-Language', async () => {
    const page = await new Browser({ headers: { 'accept-language': 'es-MX,es;q=0.9,en;q=0.5' } }).request(`${ts.issuer}/device`);
    expect(page.status).toBe(200);
    expect(langOf(page)).toBe('es');
    expect(text(page)).toContain('Conectar un dispositivo');
    expect(page.body).toContain('<label for="user_code">Código</label>');
  });

  it('shows the logout confirmation in the language of ui_locales, and the signed-out page after it', async () => {
    const browser = new Browser();
    const login = await pageAt(browser, requestUrl());
    await postLogin(browser, login, user.email, user.password);
    const confirm = await browser.request(`${ts.issuer}/logout?ui_locales=fr`);
    expect(confirm.status).toBe(200);
    expect(langOf(confirm)).toBe('fr');
    expect(text(confirm)).toContain('Voulez-vous vous déconnecter');
    const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(confirm.body);
    expect(form).not.toBeNull();
    const body = new URLSearchParams();
    for (const [, name, value] of form![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) body.set(name!, decodeHtml(value!));
    body.set('logout', 'yes');
    const done = await browser.request(new URL(form![1]!, ts.issuer), { method: 'POST', body });
    expect(done.status).toBe(200);
    expect(langOf(done)).toBe('fr');
    expect(text(done)).toContain('Vous êtes déconnecté');
  });
});
