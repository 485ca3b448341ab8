import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { translator } from '../messages/index.js';
import { hiddenInputs } from './parts.js';

export interface FormPostPageOptions extends PageChrome {
  /** The client's redirect_uri. */
  action: string;
  fields: Readonly<Record<string, string | undefined>>;
}

/** The page's only script: it submits the form. The response's CSP allows exactly this file. */
export const formPostScriptPath = '/assets/form-post.js';

/**
 * OAuth 2.0 Form Post Response Mode: the browser posts the response parameters to the
 * redirect_uri. /assets/form-post.js submits the form (a <noscript> button without JavaScript).
 */
export function formPostPage({ action, fields, ...chrome }: FormPostPageOptions): string {
  const t = translator(chrome.locale);
  const body = html`<div class="status status-pending" aria-hidden="true"></div>
<h1>${t.text('form_post.heading')}</h1>
<form method="post" action="${safeUrl(action)}">
${hiddenInputs(fields)}
<noscript>
<p class="lead">${t.text('form_post.noscript')}</p>
<button type="submit" class="button button-primary">${t.text('action.continue')}</button>
</noscript>
</form>
<script src="${formPostScriptPath}"></script>`;
  return page({ title: t.text('form_post.title'), body, ...chrome });
}
