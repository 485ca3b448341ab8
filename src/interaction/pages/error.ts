import { html } from '../html.js';
import { page, type PageChrome } from '../layout.js';

export interface ErrorPageOptions extends PageChrome {
  /** The OAuth error code, e.g. invalid_request or invalid_client. */
  error: string;
  description?: string;
}

/** For errors that must not be redirected to the client (unknown client, bad redirect URI). */
export function errorPage({ error, description, ...chrome }: ErrorPageOptions): string {
  const body = html`<h1>Something went wrong</h1>
<div class="alert" role="alert">
<p>${description || 'The request could not be completed.'}</p>
</div>
<p class="muted">Error code: <code>${error}</code></p>
<p class="muted">You can close this window and go back to the application you came from.</p>`;
  return page({ title: 'Error', body, ...chrome });
}
