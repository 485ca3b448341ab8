/** Driving the console and an app of it in Chromium (test/browser/console.test.ts). */
import * as client from 'openid-client';
import type { Page } from 'playwright-core';

/** Every visible form control has a label (its own, aria-label or aria-labelledby): evaluated in the page. */
export const UNLABELLED = `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML)`;

/** Past the console's sign-in: presses Allow when Latch asks for consent, until the console (or its refusal) shows. */
export async function signInToConsole(page: Page): Promise<void> {
  const allow = page.getByRole('button', { name: 'Allow' });
  const shell = page.getByRole('navigation', { name: 'Console' });
  const refused = page.getByRole('heading', { name: 'You are not an administrator' });
  for (let step = 0; step < 3; step++) {
    await Promise.race([allow.waitFor({ timeout: 10_000 }), shell.waitFor({ timeout: 10_000 }), refused.waitFor({ timeout: 10_000 })]);
    if (await allow.isVisible()) await allow.click();
    else return;
  }
}

export interface AppRequest {
  config: client.Configuration;
  url: URL;
  verifier: string;
  state: string;
  redirectUri: string;
}

/** An authorization request of a confidential app (code flow, PKCE, state), built by openid-client. */
export async function appRequest(issuer: string, clientId: string, secret: string, redirectUri: string): Promise<AppRequest> {
  const config = await client.discovery(new URL(issuer), clientId, { client_secret: secret, redirect_uris: [redirectUri] }, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests],
  });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    prompt: 'consent',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return { config, url, verifier, state, redirectUri };
}

/** On Latch's login page of `request`: signs `who` in and redeems the code; undefined when the sign-in did not finish. */
export async function completeAppSignIn(page: Page, request: AppRequest, who: { email: string; password: string }) {
  await page.locator('input[name=email]').fill(who.email);
  await page.locator('input[name=password]').fill(who.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  const allow = page.getByRole('button', { name: 'Allow' });
  await Promise.race([allow.waitFor(), page.waitForURL(`${request.redirectUri}**`), page.getByRole('alert').waitFor()]);
  if (await page.getByRole('alert').isVisible()) return undefined;
  if (await allow.isVisible()) await allow.click();
  try {
    await page.waitForURL(`${request.redirectUri}**`, { timeout: 5000 });
  } catch {
    return undefined;
  }
  return client.authorizationCodeGrant(request.config, new URL(page.url()), { pkceCodeVerifier: request.verifier, expectedState: request.state });
}
