import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

export interface DeviceUserCodePageOptions extends PageChrome {
  action: string;
  csrf: string;
  /** Prefills the field, e.g. from verification_uri_complete (RFC 8628 §3.3.1) or after a wrong code. */
  userCode?: string;
  error?: string | PageMessage;
}

/** RFC 8628 §3.3: the page at verification_uri where a person types the code their device shows. */
export function deviceUserCodePage({ action, csrf, userCode, error, ...chrome }: DeviceUserCodePageOptions): string {
  const t = translator(chrome.locale);
  const invalid = error ? html` aria-invalid="true" aria-describedby="user-code-error"` : '';
  const body = html`<h1>${t.text('device.code_heading')}</h1>
<p class="lead">${t.text('device.code_lead')}</p>
${error ? html`<div class="alert" role="alert" id="user-code-error">${t.show(error)}</div>` : ''}
<form method="post" action="${safeUrl(action)}">
${hiddenInput('csrf', csrf)}
<div class="field">
<label for="user_code">${t.text('device.code_label')}</label>
<input id="user_code" class="user-code" type="text" name="user_code" required autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="XXXX-XXXX" value="${userCode ?? ''}"${invalid} autofocus>
</div>
<button type="submit" class="button button-primary">${t.text('action.continue')}</button>
</form>`;
  return page({ title: t.text('device.code_title'), body, ...chrome });
}
