import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type MessageKey, type PageMessage, message, translator } from '../messages/index.js';

export interface ErrorPageOptions extends PageChrome {
  /** The OAuth error code, e.g. invalid_request or invalid_client. */
  error: string;
  /** What the person reads: a message of the catalogues, or text already in the page's language. */
  description?: string | PageMessage;
  /** The protocol's own error_description (English, for developers), shown apart from the description. */
  details?: string;
}

/** For errors that must not be redirected to the client (unknown client, bad redirect URI). */
export function errorPage({ error, description, details, ...chrome }: ErrorPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<h1>${t.text('error.heading')}</h1>
<div class="alert" role="alert">
<p>${description ? t.show(description) : t.text('error.generic')}</p>
</div>
${details ? html`<p class="muted error-details">${t.text('error.details')} <span lang="en">${details}</span></p>\n` : ''}<p class="muted">${t.text('error.code')} <code>${error}</code></p>
<p class="muted">${t.text('error.close')}</p>`;
  return page({ title: t.text('error.title'), body, ...chrome });
}

const byCode: Readonly<Record<string, MessageKey>> = {
  invalid_request: 'error.invalid_request',
  invalid_client: 'error.invalid_client',
  unauthorized_client: 'error.unauthorized_client',
  access_denied: 'error.access_denied',
  server_error: 'error.server_error',
  temporarily_unavailable: 'error.temporarily_unavailable',
};

/** What an OAuth error code means, for the person who sees it on a page. */
export function describeError(code: string): PageMessage {
  return message(Object.hasOwn(byCode, code) ? (byCode[code] as MessageKey) : 'error.generic');
}
