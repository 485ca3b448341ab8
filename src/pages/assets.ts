import { createHash } from 'node:crypto';
import { accountsCss } from './assets-accounts.js';
import { passkeysScript, passkeysScriptPath, webauthnBrowserBundle, webauthnBrowserPath } from './assets-passkeys.js';
import { frontchannelLogoutScript, frontchannelLogoutScriptPath } from './pages/logged-out.js';

export const latchCss = `:root {
  color-scheme: light dark;
  --bg: #f3f4f6;
  --card: #ffffff;
  --text: #1f2328;
  --muted: #59636e;
  --border: #d8dee4;
  --control: #858e99;
  --primary: #1f5bd8;
  --primary-hover: #1a4cb5;
  --on-primary: #ffffff;
  --link: #1f5bd8;
  --focus: #1f5bd8;
  --code-bg: #eff2f5;
  --danger: #cf222e;
  --danger-bg: #fdecea;
  --danger-text: #82071e;
  --success: #1a7f37;
  --shadow: 0 1px 2px rgb(0 0 0 / 0.06), 0 10px 30px rgb(0 0 0 / 0.08);
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --card: #161b22;
    --text: #e6edf3;
    --muted: #9da7b3;
    --border: #30363d;
    --control: #8c959f;
    --primary: #58a6ff;
    --primary-hover: #79b8ff;
    --on-primary: #0d1117;
    --link: #58a6ff;
    --focus: #58a6ff;
    --code-bg: #21262d;
    --danger: #f85149;
    --danger-bg: #2d1417;
    --danger-text: #f0b3ad;
    --success: #3fb950;
    --shadow: 0 10px 30px rgb(0 0 0 / 0.4);
  }
}

*, *::before, *::after { box-sizing: border-box; }

html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }

body {
  margin: 0;
  min-height: 100vh;
  min-height: 100dvh;
  display: flex;
  flex-direction: column;
  align-items: center;
  justify-content: center;
  padding: 2rem 1rem;
  background: var(--bg);
  color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}

.card {
  width: 100%;
  max-width: 26rem;
  padding: 2.5rem 2rem 2rem;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 12px;
  box-shadow: var(--shadow);
}

.brand {
  display: flex;
  align-items: center;
  justify-content: center;
  gap: 0.5rem;
  margin-bottom: 1.75rem;
  font-size: 1.125rem;
  font-weight: 600;
  letter-spacing: -0.01em;
}
.brand-mark { flex: none; color: var(--primary); }
.brand-keyhole { fill: var(--card); }

.brand-logo { flex: none; display: block; max-width: 10rem; max-height: 2.5rem; width: auto; height: auto; object-fit: contain; }
.client-logo { display: block; width: 4rem; height: 4rem; margin: 0 auto 1rem; object-fit: contain; border-radius: 12px; }

a { color: var(--link); text-underline-offset: 0.15em; }
a:hover { text-decoration-thickness: 2px; }
a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }

.client-links ul, .page-footer ul { display: flex; flex-wrap: wrap; justify-content: center; gap: 0.25rem 1.25rem; margin: 0; padding: 0; list-style: none; }
.client-links { margin: 0 0 1rem; font-size: 0.875rem; }
.page-footer { width: 100%; max-width: 26rem; margin-top: 1.25rem; color: var(--muted); font-size: 0.875rem; }
.page-footer a { color: var(--muted); }
.page-footer a:hover { color: var(--text); }
.scopes-api-lead { margin-top: 0.25rem; }
.scope-name { margin-left: 0.25rem; color: var(--muted); font-size: 0.8em; }

h1 {
  margin: 0 0 0.5rem;
  font-size: 1.5rem;
  font-weight: 600;
  line-height: 1.25;
  text-align: center;
  overflow-wrap: anywhere;
}

p { margin: 0 0 1rem; overflow-wrap: anywhere; }
.lead { color: var(--muted); text-align: center; margin-bottom: 1.5rem; }
.lead strong, .account strong { color: var(--text); }
.muted { color: var(--muted); font-size: 0.875rem; }

.field { margin-bottom: 1.25rem; }
label { display: block; margin-bottom: 0.375rem; font-size: 0.9375rem; font-weight: 500; }
input[type="email"], input[type="password"], input[type="text"] {
  display: block;
  width: 100%;
  min-height: 2.75rem;
  padding: 0.625rem 0.75rem;
  font: inherit;
  color: inherit;
  background: var(--card);
  border: 1px solid var(--control);
  border-radius: 8px;
}
input:focus-visible {
  border-color: var(--focus);
  outline: 2px solid var(--focus);
  outline-offset: 0;
}
input[aria-invalid="true"] { border-color: var(--danger); }

.button {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  width: 100%;
  min-height: 2.75rem;
  padding: 0.625rem 1rem;
  font: inherit;
  font-weight: 600;
  line-height: 1.25;
  border: 1px solid transparent;
  border-radius: 8px;
  cursor: pointer;
}
.button:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.button-primary { background: var(--primary); color: var(--on-primary); }
.button-primary:hover { background: var(--primary-hover); }
.button-secondary { background: transparent; color: var(--text); border-color: var(--control); }
.button-secondary:hover { background: var(--code-bg); }
form > .button { margin-top: 0.5rem; }

.actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
.actions .button { flex: 1 1 0; }

.alert {
  margin-bottom: 1.25rem;
  padding: 0.75rem 1rem;
  color: var(--danger-text);
  background: var(--danger-bg);
  border: 1px solid var(--danger);
  border-radius: 8px;
  overflow-wrap: anywhere;
}
.alert p:last-child { margin-bottom: 0; }

.account { display: flex; justify-content: center; margin-bottom: 1.5rem; }
.account span {
  max-width: 100%;
  padding: 0.25rem 0.875rem;
  color: var(--muted);
  font-size: 0.875rem;
  border: 1px solid var(--border);
  border-radius: 999px;
  overflow-wrap: anywhere;
}

.scopes { margin: 0 0 1.25rem; padding: 0; list-style: none; border: 1px solid var(--border); border-radius: 8px; }
.scopes li { position: relative; padding: 0.75rem 1rem 0.75rem 2.75rem; overflow-wrap: anywhere; }
.scopes li + li { border-top: 1px solid var(--border); }
.scopes li::before {
  content: "";
  position: absolute;
  left: 1.25rem;
  top: 1.05rem;
  width: 0.4rem;
  height: 0.8rem;
  border: solid var(--success);
  border-width: 0 2px 2px 0;
  transform: rotate(45deg);
}

code {
  padding: 0.125rem 0.375rem;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.875em;
  background: var(--code-bg);
  border-radius: 4px;
  overflow-wrap: anywhere;
}

input.user-code, code.user-code {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 1.5rem;
  letter-spacing: 0.15em;
  text-align: center;
  text-transform: uppercase;
}
.user-code-display { text-align: center; margin-bottom: 1.25rem; }
code.user-code { display: inline-block; padding: 0.375rem 0.875rem; }

.status { width: 3rem; height: 3rem; margin: 0 auto 1rem; border-radius: 50%; }
.status-success { position: relative; background: var(--success); }
.status-success::after {
  content: "";
  position: absolute;
  left: 1.15rem;
  top: 0.7rem;
  width: 0.7rem;
  height: 1.3rem;
  border: solid var(--card);
  border-width: 0 3px 3px 0;
  transform: rotate(45deg);
}
.status-pending { border: 4px solid var(--border); border-top-color: var(--primary); animation: spin 0.9s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }

.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}

@media (max-width: 30rem) {
  body { justify-content: flex-start; padding: 0; background: var(--card); }
  .card { max-width: none; padding: 2rem 1.25rem; border: 0; border-radius: 0; box-shadow: none; }
  .page-footer { max-width: none; margin-top: 0; padding: 0 1.25rem 2rem; }
}

@media (max-width: 20rem) {
  .actions { flex-direction: column-reverse; }
}

@media (prefers-reduced-motion: reduce) {
  .status-pending { animation: none; }
}

@media (forced-colors: active) {
  .button { border-color: ButtonText; }
  .scopes li::before, .status-success::after { border-color: CanvasText; }
}
`;

/** Submits the response form of the form_post response mode (inline scripts are not allowed). */
export const formPostScript = `"use strict";
(function () {
  function submit() {
    var form = document.forms[0];
    if (form) HTMLFormElement.prototype.submit.call(form);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", submit);
  } else {
    submit();
  }
})();
`;

export interface Asset {
  body: string;
  contentType: string;
  etag: string;
}

function asset(body: string, contentType: string): Asset {
  const digest = createHash('sha256').update(body, 'utf8').digest('base64url');
  return Object.freeze({ body, contentType, etag: `"${digest.slice(0, 22)}"` });
}

export const assets: Readonly<Record<string, Asset>> = Object.freeze({
  '/assets/latch.css': asset(latchCss + accountsCss, 'text/css; charset=utf-8'),
  '/assets/form-post.js': asset(formPostScript, 'text/javascript; charset=utf-8'),
  // Issue 13: passkeys (assets-passkeys.ts).
  [webauthnBrowserPath]: asset(webauthnBrowserBundle(), 'text/javascript; charset=utf-8'),
  [passkeysScriptPath]: asset(passkeysScript, 'text/javascript; charset=utf-8'),
  // Issue 15: Front-Channel Logout (pages/logged-out.ts).
  [frontchannelLogoutScriptPath]: asset(frontchannelLogoutScript, 'text/javascript; charset=utf-8'),
});
