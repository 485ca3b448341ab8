/**
 * The scripts of the passkey pages, served from Latch's origin so the CSP stays strict (no inline script): the
 * @simplewebauthn/browser bundle as shipped, and a small script that starts the ceremonies from data attributes.
 * Also the few styles the factor pages add.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const webauthnBrowserPath = '/assets/simplewebauthn-browser.js';
export const passkeysScriptPath = '/assets/passkeys.js';

/** The UMD bundle (global `SimpleWebAuthnBrowser`), read once at start from the installed package. */
export function webauthnBrowserBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

/**
 * Elements with `data-passkey` start a ceremony: `authenticate` and `register` on click, `conditional` (the login
 * page) at once, with mediation "conditional" so the browser offers passkeys in the username field's autofill.
 * Options come from `data-options`, the answer goes to `data-verify` (JSON, with the page's CSRF token); the server
 * answers `{ redirect }` or `{ error }`.
 */
export const passkeysScript = `"use strict";
(function () {
  var W = window.SimpleWebAuthnBrowser;
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { j.status = r.status; return j; }); });
  }
  function show(el, text) {
    var box = document.getElementById(el.getAttribute("data-error-box") || "passkey-error");
    if (box) { box.textContent = text; box.hidden = false; }
  }
  function run(el, conditional) {
    var kind = el.getAttribute("data-passkey");
    var csrf = el.getAttribute("data-csrf");
    var mode = el.getAttribute("data-mode") || "";
    var failed = el.getAttribute("data-failed") || "The passkey did not work. Try again.";
    var nameInput = document.getElementById(el.getAttribute("data-name-input") || "passkey-name");
    return post(el.getAttribute("data-options"), { csrf: csrf, mode: mode }).then(function (o) {
      if (!o.options) throw new Error(o.error || failed);
      if (kind === "register") return W.startRegistration({ optionsJSON: o.options });
      return W.startAuthentication({ optionsJSON: o.options, useBrowserAutofill: conditional });
    }).then(function (response) {
      return post(el.getAttribute("data-verify"), { csrf: csrf, mode: mode, response: response, name: nameInput ? nameInput.value : "" });
    }).then(function (answer) {
      if (answer.redirect) { window.location.assign(answer.redirect); return; }
      throw new Error(answer.error || failed);
    }).catch(function (err) {
      if (window.console) console.warn("passkey " + kind + ": " + (err && err.name) + ": " + (err && err.message));
      // Conditional UI fails quietly (no passkey chosen, another ceremony started): the form is still there.
      if (conditional) return;
      show(el, failed);
      if (el.tagName === "BUTTON") el.disabled = false;
    });
  }
  function start() {
    if (!W || !W.browserSupportsWebAuthn()) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-passkey-block]"), function (el) { el.hidden = false; });
    var els = document.querySelectorAll("[data-passkey]");
    Array.prototype.forEach.call(els, function (el) {
      if (el.getAttribute("data-passkey") === "conditional") {
        W.browserSupportsWebAuthnAutofill().then(function (ok) { if (ok) run(el, true); });
        return;
      }
      el.addEventListener("click", function (e) { e.preventDefault(); el.disabled = true; run(el, false); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
`;
