import { html, type HtmlSafe, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, type Translator, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';
import { passkeyBlock, passkeyButton, passkeyNameField, passkeyScriptTags, type TotpEnrolment, totpEnrolment } from './second-factor.js';

export interface SecurityPasskey {
  credentialId: string;
  name: string;
  createdAt: number;
}

export interface AccountSecurityPageOptions extends PageChrome {
  csrf: string;
  email: string;
  totp: boolean;
  recoveryCodes: number;
  passkeys: readonly SecurityPasskey[];
  notice?: PageMessage;
  error?: PageMessage;
}

const base = '/account/security';

function postButton(t: Translator, action: string, csrf: string, label: string, secondary = true): HtmlSafe {
  return html`<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<button type="submit" class="button ${secondary ? 'button-secondary' : 'button-primary'}">${label}</button>
</form>`;
}

function day(t: Translator, seconds: number): string {
  return new Date(seconds * 1000).toLocaleDateString(t.locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function passkeyItem(t: Translator, passkey: SecurityPasskey, csrf: string): HtmlSafe {
  const path = `${base}/passkeys/${encodeURIComponent(passkey.credentialId)}`;
  return html`<li class="passkey">
<strong class="passkey-name">${passkey.name}</strong> <span class="muted">${t.text('security.passkey_added', { date: day(t, passkey.createdAt) })}</span>
<form method="post" action="${safeUrl(`${path}/rename`)}" class="inline-form">
${hiddenInput('csrf', csrf)}
<input type="text" name="name" maxlength="64" required value="${passkey.name}" aria-label="${t.text('factor.passkey_name')}">
<button type="submit" class="button button-secondary">${t.text('security.rename')}</button>
</form>
<form method="post" action="${safeUrl(`${path}/remove`)}" class="inline-form">
${hiddenInput('csrf', csrf)}
<button type="submit" class="button button-secondary">${t.text('security.remove')}</button>
</form>
</li>`;
}

/** /account/security: the person's authenticator app, recovery codes and passkeys. */
export function accountSecurityPage({ csrf, email, totp, recoveryCodes, passkeys, notice, error, ...chrome }: AccountSecurityPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('security.heading')}</h1>
<p class="lead">${t.text('security.signed_in_as', { email })}</p>
${notice ? html`<p class="success" role="status">${t.show(notice)}</p>` : ''}
${error ? html`<div class="alert" role="alert">${t.show(error)}</div>` : ''}
<section>
<h2>${t.text('security.totp_heading')}</h2>
<p id="totp-status">${t.text(totp ? 'security.totp_on' : 'security.totp_off')}</p>
${totp ? postButton(t, `${base}/totp/remove`, csrf, t.text('security.remove')) : postButton(t, `${base}/totp/start`, csrf, t.text('security.totp_setup'), false)}
</section>
<section>
<h2>${t.text('security.codes_heading')}</h2>
<p id="recovery-status">${t.text('security.codes_left', { n: recoveryCodes })}</p>
${postButton(t, `${base}/recovery/regenerate`, csrf, t.text('security.codes_regenerate'))}
</section>
<section>
<h2>${t.text('security.passkeys_heading')}</h2>
${passkeys.length ? html`<ul class="factor-list" id="passkeys">${passkeys.map((p) => passkeyItem(t, p, csrf))}</ul>` : html`<p>${t.text('security.passkeys_none')}</p>`}
${passkeyBlock(html`${passkeyNameField(t)}
${passkeyButton(t, 'register', { options: `${base}/passkey/register-options`, verify: `${base}/passkey/register`, mode: 'account' }, csrf, t.text('security.add_passkey'))}`)}
<noscript><p class="muted">${t.text('factor.passkey_needs_script')}</p></noscript>
</section>
${passkeyScriptTags}`;
  return page({ title: t.text('security.title'), body, ...chrome });
}

export interface AccountTotpPageOptions extends PageChrome {
  csrf: string;
  totp: TotpEnrolment;
  error?: PageMessage;
}

/** Setting up an authenticator app from /account/security. */
export function accountTotpPage({ csrf, totp, error, ...chrome }: AccountTotpPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('security.totp_setup')}</h1>
${error ? html`<div class="alert" role="alert" id="factor-error">${t.show(error)}</div>` : ''}
${totpEnrolment(t, totp, csrf, error !== undefined)}
<p><a href="${base}">${t.text('security.title')}</a></p>`;
  return page({ title: t.text('security.totp_setup'), body, ...chrome });
}
