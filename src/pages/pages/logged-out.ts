import { html, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { translator } from '../messages/index.js';

export interface LoggedOutPageOptions extends PageChrome {
  clientName?: string;
  /** Front-Channel Logout 1.0 §4: the frontchannel_logout_uri of each client of the ended session, rendered in an iframe. */
  frontchannel?: readonly string[];
  /** Where the browser goes once those have loaded (the validated post_logout_redirect_uri, with state). */
  continueTo?: string;
}

/** The logged-out page's only script: once every front-channel iframe has loaded (at most 5 s), it follows the link. */
export const frontchannelLogoutScriptPath = '/assets/frontchannel-logout.js';

export const frontchannelLogoutScript = `"use strict";
(function () {
  var link = document.getElementById("frontchannel-continue");
  if (!link) return;
  var done = false;
  function go() {
    if (done) return;
    done = true;
    window.location.assign(link.href);
  }
  // The window's load event waits for every iframe of the page.
  if (document.readyState === "complete") go();
  else window.addEventListener("load", go);
  setTimeout(go, 5000);
})();
`;

export function loggedOutPage({ clientName, frontchannel = [], continueTo, ...chrome }: LoggedOutPageOptions = {}): string {
  const t = translator(chrome.locale);
  const frames = frontchannel.map((src) => html`<iframe class="frontchannel-logout" src="${safeUrl(src)}" title="" width="0" height="0" hidden tabindex="-1" aria-hidden="true"></iframe>
`);
  const onward = continueTo
    ? html`<p><a id="frontchannel-continue" class="button button-primary" href="${safeUrl(continueTo)}">${t.text('action.continue')}</a></p>
<script src="${frontchannelLogoutScriptPath}"></script>`
    : html`<p class="lead">${t.text('page.close_window')}</p>`;
  const body = html`<div class="status status-success" aria-hidden="true"></div>
<h1>${t.text('logged_out.heading')}</h1>
${clientName ? html`<p class="lead">${t.markup('logged_out.lead_client', { client: html`<strong>${clientName}</strong>` })}</p>` : ''}
${frames}${onward}`;
  return page({ title: t.text('logged_out.title'), body, ...chrome });
}

export interface StillSignedInPageOptions extends PageChrome {
  clientName?: string;
}

/** The answer to "Stay signed in" on the logout confirmation page when the application gave no way back. */
export function stillSignedInPage({ clientName, ...chrome }: StillSignedInPageOptions = {}): string {
  const t = translator(chrome.locale);
  const body = html`<div class="status status-success" aria-hidden="true"></div>
<h1>${t.text('still_signed_in.heading')}</h1>
${clientName ? html`<p class="lead">${t.markup('still_signed_in.lead_client', { client: html`<strong>${clientName}</strong>` })}</p>` : html`<p class="lead">${t.text('still_signed_in.lead')}</p>`}
<p class="lead">${t.text('page.close_window')}</p>`;
  return page({ title: t.text('still_signed_in.title'), body, ...chrome });
}
