import { html, type HtmlSafe, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type Locale, type PageMessage, translator, type Translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

export interface AccountSession {
  sid: string;
  authTime: number;
  /** The session of the browser showing the page. */
  current: boolean;
}

export interface AccountApplication {
  clientId: string;
  name: string;
  /** When the person first allowed it (the oldest live grant). */
  since: number;
}

export interface AccountPageOptions extends PageChrome {
  csrf: string;
  email: string;
  emailVerified: boolean;
  profile: { name?: string | undefined; given_name?: string | undefined; family_name?: string | undefined; locale?: string | undefined };
  sessions: AccountSession[];
  applications: AccountApplication[];
  securityHref: string;
  /** What the last change did (saved, sent a link, ended a session). */
  notice?: PageMessage;
  /** Why the last change was refused, and which section it belongs to. */
  error?: { section: 'profile' | 'password' | 'email'; message: PageMessage };
}

/** Unix seconds as the page's language writes a date and time (UTC, said so). */
export function formatTime(locale: Locale, seconds: number): string {
  return `${new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(seconds * 1000))} UTC`;
}

function postForm(action: string, csrf: string, fields: HtmlSafe | '', button: HtmlSafe, options: { className?: string } = {}): HtmlSafe {
  return html`<form method="post" action="${safeUrl(action)}"${options.className ? html` class="${options.className}"` : ''}>
${hiddenInput('csrf', csrf)}
${fields}${button}
</form>`;
}

function field(id: string, label: string, input: HtmlSafe): HtmlSafe {
  return html`<div class="field">\n<label for="${id}">${label}</label>\n${input}\n</div>\n`;
}

function sectionError(t: Translator, options: AccountPageOptions, section: 'profile' | 'password' | 'email'): HtmlSafe | '' {
  return options.error?.section === section ? html`<div class="alert" role="alert" id="${section}-error">${t.show(options.error.message)}</div>\n` : '';
}

function profileSection(t: Translator, o: AccountPageOptions): HtmlSafe {
  const value = (v: string | undefined) => v ?? '';
  const fields = html`${field('name', t.text('account.name'), html`<input id="name" type="text" name="name" autocomplete="name" maxlength="200" value="${value(o.profile.name)}">`)}${field(
    'given_name',
    t.text('account.given_name'),
    html`<input id="given_name" type="text" name="given_name" autocomplete="given-name" maxlength="200" value="${value(o.profile.given_name)}">`,
  )}${field('family_name', t.text('account.family_name'), html`<input id="family_name" type="text" name="family_name" autocomplete="family-name" maxlength="200" value="${value(o.profile.family_name)}">`)}${field(
    'locale',
    t.text('account.locale'),
    html`<input id="locale" type="text" name="locale" maxlength="35" autocapitalize="none" spellcheck="false" value="${value(o.profile.locale)}">`,
  )}`;
  return html`<section class="account-section" id="profile" aria-labelledby="profile-heading">
<h2 id="profile-heading">${t.text('account.profile')}</h2>
${sectionError(t, o, 'profile')}${postForm('/account/profile', o.csrf, fields, html`<button type="submit" class="button button-primary">${t.text('account.save')}</button>`)}
</section>`;
}

function passwordSection(t: Translator, o: AccountPageOptions): HtmlSafe {
  const fields = html`<input type="email" name="email" autocomplete="username" value="${o.email}" hidden readonly>
${field('current_password', t.text('account.current_password'), html`<input id="current_password" type="password" name="current_password" autocomplete="current-password" required>`)}${field(
    'new_password',
    t.text('account.new_password'),
    html`<input id="new_password" type="password" name="new_password" autocomplete="new-password" required>`,
  )}`;
  return html`<section class="account-section" id="password" aria-labelledby="password-heading">
<h2 id="password-heading">${t.text('account.password')}</h2>
${sectionError(t, o, 'password')}${postForm('/account/password', o.csrf, fields, html`<button type="submit" class="button button-secondary">${t.text('account.change_password')}</button>`)}
</section>`;
}

function emailSection(t: Translator, o: AccountPageOptions): HtmlSafe {
  const fields = html`${field('new_email', t.text('account.new_email'), html`<input id="new_email" type="email" name="new_email" autocomplete="email" required autocapitalize="none" spellcheck="false">`)}${field(
    'email_password',
    t.text('account.current_password'),
    html`<input id="email_password" type="password" name="current_password" autocomplete="current-password" required>`,
  )}`;
  return html`<section class="account-section" id="email" aria-labelledby="email-heading">
<h2 id="email-heading">${t.text('account.email')}</h2>
<p>${t.markup('account.email_current', { email: html`<strong class="account-email">${o.email}</strong>` })}${o.emailVerified ? '' : html` <span class="muted">${t.text('account.unverified')}</span>`}</p>
${sectionError(t, o, 'email')}${postForm('/account/email', o.csrf, fields, html`<button type="submit" class="button button-secondary">${t.text('account.change_email')}</button>`)}
</section>`;
}

function sessionsSection(t: Translator, o: AccountPageOptions): HtmlSafe {
  const items = o.sessions.map(
    (s) => html`<li class="account-item${s.current ? ' account-item-current' : ''}" data-sid="${s.sid}">
<span><strong>${t.text(s.current ? 'account.session_this' : 'account.session_other')}</strong> <span class="muted">${t.text('account.session_started', { time: formatTime(t.locale, s.authTime) })}</span></span>
${postForm('/account/sessions/end', o.csrf, hiddenInput('sid', s.sid), html`<button type="submit" class="button button-secondary">${t.text('account.end_session')}</button>`)}
</li>`,
  );
  return html`<section class="account-section" id="sessions" aria-labelledby="sessions-heading">
<h2 id="sessions-heading">${t.text('account.sessions')}</h2>
<ul class="account-list">
${items}
</ul>
</section>`;
}

function applicationsSection(t: Translator, o: AccountPageOptions): HtmlSafe {
  const items = o.applications.map(
    (a) => html`<li class="account-item" data-client-id="${a.clientId}">
<span><strong class="account-app-name">${a.name}</strong> <span class="muted">${t.text('account.app_since', { time: formatTime(t.locale, a.since) })}</span></span>
${postForm('/account/applications/revoke', o.csrf, hiddenInput('client_id', a.clientId), html`<button type="submit" class="button button-secondary">${t.text('account.revoke')}</button>`)}
</li>`,
  );
  return html`<section class="account-section" id="applications" aria-labelledby="applications-heading">
<h2 id="applications-heading">${t.text('account.applications')}</h2>
${items.length ? html`<ul class="account-list">\n${items}\n</ul>` : html`<p class="muted">${t.text('account.no_applications')}</p>`}
</section>`;
}

/** /account: a signed-in person's own page. Every change is a small form of its own, CSRF-checked by its route. */
export function accountPage(options: AccountPageOptions): string {
  const { csrf: _csrf, email, emailVerified: _v, profile: _p, sessions: _s, applications: _a, securityHref, notice, error: _e, ...chrome } = options;
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('account.heading')}</h1>
<p class="lead">${t.markup('account.lead', { email: html`<strong>${email}</strong>` })}</p>
${notice ? html`<div class="notice" role="status">${t.show(notice)}</div>` : ''}
${profileSection(t, options)}
${emailSection(t, options)}
${passwordSection(t, options)}
<section class="account-section" id="security" aria-labelledby="security-heading">
<h2 id="security-heading">${t.text('account.security')}</h2>
<p><a href="${safeUrl(securityHref)}">${t.text('account.security_lead')}</a></p>
</section>
${sessionsSection(t, options)}
${applicationsSection(t, options)}`;
  return page({ title: t.text('account.title'), body, ...chrome });
}
