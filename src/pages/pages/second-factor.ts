import { html, type HtmlSafe, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, type Translator, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

/** A passkey ceremony button for assets-passkeys.ts: options and verify URLs, the CSRF token, the mode. */
export interface PasskeyCeremony {
  options: string;
  verify: string;
  mode: 'login' | 'factor' | 'enrol' | 'account';
}

/** The scripts of the passkey pages (served from assets; the CSP names exactly these two). */
export const passkeyScriptTags = html`<script src="/assets/simplewebauthn-browser.js" defer></script>
<script src="/assets/passkeys.js" defer></script>`;

/** A block shown only where the browser can use passkeys (the script unhides it). */
export function passkeyBlock(content: HtmlSafe): HtmlSafe {
  return html`<div hidden data-passkey-block>
${content}
</div>`;
}

export function passkeyButton(t: Translator, kind: 'authenticate' | 'register', ceremony: PasskeyCeremony, csrf: string, label: HtmlSafe | string, primary = false): HtmlSafe {
  return html`<button type="button" class="button ${primary ? 'button-primary' : 'button-secondary'}" data-passkey="${kind}" data-options="${safeUrl(ceremony.options)}" data-verify="${safeUrl(ceremony.verify)}" data-mode="${ceremony.mode}" data-csrf="${csrf}" data-failed="${t.text('factor.passkey_failed')}">${label}</button>
<p class="alert" role="alert" id="passkey-error" hidden></p>`;
}

function errorBox(t: Translator, error: string | PageMessage | undefined): HtmlSafe | string {
  return error ? html`<div class="alert" role="alert" id="factor-error">${t.show(error)}</div>` : '';
}

function codeField(t: Translator, id: string, label: string, invalid: boolean, autofocus: boolean): HtmlSafe {
  return html`<div class="field">
<label for="${id}">${label}</label>
<input id="${id}" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required spellcheck="false"${invalid ? html` aria-invalid="true" aria-describedby="factor-error"` : ''}${autofocus ? html` autofocus` : ''}>
</div>`;
}

export interface SecondFactorPageOptions extends PageChrome {
  clientName: string;
  csrf: string;
  /** Form actions and passkey URLs of the methods the person has. */
  totp?: string;
  recovery?: string;
  passkey?: PasskeyCeremony;
  error?: string | PageMessage;
}

/** "Confirm it's you": the second step of a sign-in, with the methods the person enrolled. */
export function secondFactorPage({ clientName, csrf, totp, recovery, passkey, error, ...chrome }: SecondFactorPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('factor.heading')}</h1>
<p class="lead">${t.markup('factor.lead', { client: html`<strong>${clientName}</strong>` })}</p>
${errorBox(t, error)}
${totp ? html`<form method="post" action="${safeUrl(totp)}">
${hiddenInput('csrf', csrf)}
${codeField(t, 'totp-code', t.text('factor.totp_label'), error !== undefined, true)}
<button type="submit" class="button button-primary">${t.text('action.continue')}</button>
</form>` : ''}
${passkey ? html`${passkeyBlock(html`${totp ? html`<div class="divider">${t.text('factor.or')}</div>` : ''}
${passkeyButton(t, 'authenticate', passkey, csrf, t.text('factor.use_passkey'), !totp)}`)}
<noscript><p class="muted">${t.text('factor.passkey_needs_script')}</p></noscript>
${passkeyScriptTags}` : ''}
${recovery ? html`<details>
<summary>${t.text('factor.recovery_summary')}</summary>
<form method="post" action="${safeUrl(recovery)}">
${hiddenInput('csrf', csrf)}
<div class="field">
<label for="recovery-code">${t.text('factor.recovery_label')}</label>
<input id="recovery-code" type="text" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="16" required>
</div>
<button type="submit" class="button button-secondary">${t.text('factor.recovery_submit')}</button>
</form>
</details>` : ''}`;
  return page({ title: t.text('factor.title'), body, ...chrome });
}

export function passkeyNameField(t: Translator): HtmlSafe {
  return html`<div class="field">
<label for="passkey-name">${t.text('factor.passkey_name')}</label>
<input id="passkey-name" type="text" name="name" maxlength="64" value="${t.text('factor.passkey_default_name')}">
</div>`;
}

export interface TotpEnrolment {
  /** data: URL of the QR code PNG (img-src allows data:). */
  qr: string;
  /** The base32 secret, for typing it in by hand. */
  secret: string;
  action: string;
}

export interface EnrolFactorPageOptions extends PageChrome {
  clientName: string;
  csrf: string;
  totp?: TotpEnrolment;
  passkey?: PasskeyCeremony;
  error?: string | PageMessage;
  /** Why enrolment is asked: only a passkey reaches the level the application needs. */
  passkeyOnly?: boolean;
}

export function totpEnrolment(t: Translator, totp: TotpEnrolment, csrf: string, invalid: boolean): HtmlSafe {
  return html`<p>${t.text('factor.enrol_totp_steps')}</p>
<img class="qr" src="${totp.qr}" alt="${t.text('factor.qr_alt')}" width="192" height="192">
<p class="muted">${t.text('factor.secret_label')}</p>
<code class="secret" id="totp-secret">${totp.secret}</code>
<form method="post" action="${safeUrl(totp.action)}">
${hiddenInput('csrf', csrf)}
${codeField(t, 'totp-code', t.text('factor.enrol_totp_code'), invalid, false)}
<button type="submit" class="button button-primary">${t.text('factor.enrol_totp_submit')}</button>
</form>`;
}

/** "Set up a second factor": the person has none, and the application needs one; the sign-in continues after. */
export function enrolFactorPage({ clientName, csrf, totp, passkey, error, passkeyOnly, ...chrome }: EnrolFactorPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('factor.enrol_heading')}</h1>
<p class="lead">${t.markup(passkeyOnly ? 'factor.enrol_lead_passkey' : 'factor.enrol_lead', { client: html`<strong>${clientName}</strong>` })}</p>
${errorBox(t, error)}
${passkey ? html`${passkeyBlock(html`${passkeyNameField(t)}
${passkeyButton(t, 'register', passkey, csrf, t.text('factor.create_passkey'), true)}
${totp ? html`<div class="divider">${t.text('factor.or')}</div>` : ''}`)}
<noscript><p class="muted">${t.text('factor.passkey_needs_script')}</p></noscript>
${passkeyScriptTags}` : ''}
${totp ? html`
${totpEnrolment(t, totp, csrf, error !== undefined)}` : ''}`;
  return page({ title: t.text('factor.enrol_title'), body, ...chrome });
}

export interface RecoveryCodesPageOptions extends PageChrome {
  codes: readonly string[];
  /** Where "Continue" goes: the sign-in, or the account security page. */
  next: string;
}

/** The ten recovery codes, shown once. */
export function recoveryCodesPage({ codes, next, ...chrome }: RecoveryCodesPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('factor.codes_heading')}</h1>
<p class="lead">${t.text('factor.codes_lead')}</p>
<ul class="recovery-codes" id="recovery-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p class="muted">${t.text('factor.codes_once')}</p>
<a class="button button-primary" href="${safeUrl(next)}">${t.text('action.continue')}</a>`;
  return page({ title: t.text('factor.codes_title'), body, ...chrome });
}
