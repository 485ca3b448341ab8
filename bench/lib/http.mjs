/**
 * HTTP helpers for the set-up steps (not the measured load): a fetch-based browser with a cookie jar,
 * just enough HTML form parsing to log in and consent, PKCE pairs and client authentication headers.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Set-up requests never hang the benchmark. */
const REQUEST_TIMEOUT_MS = 15_000;

export function basicAuth(clientId, clientSecret) {
  // RFC 6749 §2.3.1: client_id and client_secret are form-urlencoded before Basic encoding.
  const encode = (v) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function randomValue(bytes = 16) {
  return randomBytes(bytes).toString('base64url');
}

export function formBody(fields) {
  return new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== undefined)).toString();
}

export async function postForm(url, fields, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: formBody(fields),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function decodeHtml(value) {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_whole, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
  });
}

function attributes(tag) {
  const out = {};
  for (const m of tag.matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
    const name = m[1].toLowerCase();
    if (!(name in out)) out[name] = decodeHtml(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** Forms of a page: action, method, hidden fields, the names of the other inputs and of the buttons. */
export function parseForms(html, baseUrl) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const a = attributes(m[1]);
    const hidden = {};
    const inputs = [];
    for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
      const i = attributes(input[1]);
      if (!i.name) continue;
      if ((i.type ?? 'text').toLowerCase() === 'hidden') hidden[i.name] = i.value ?? '';
      else inputs.push(i.name);
    }
    const buttons = [...m[2].matchAll(/<button\b([^>]*)>/gi)].map((b) => attributes(b[1]).name).filter(Boolean);
    forms.push({ action: new URL(a.action ?? '', baseUrl), method: (a.method ?? 'get').toUpperCase(), hidden, inputs, buttons });
  }
  return forms;
}

/** A cookie jar for one loopback origin (name and path; RFC 6265 path matching). */
export class Browser {
  #cookies = new Map();

  cookieHeader(url) {
    const path = new URL(url).pathname;
    const pairs = [];
    for (const c of this.#cookies.values()) {
      if (path === c.path || (path.startsWith(c.path) && (c.path.endsWith('/') || path[c.path.length] === '/'))) pairs.push(`${c.name}=${c.value}`);
    }
    return pairs.join('; ');
  }

  #store(url, setCookies) {
    for (const header of setCookies) {
      const [pair, ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path: '/' };
      const urlPath = new URL(url).pathname;
      cookie.path = urlPath.lastIndexOf('/') > 0 ? urlPath.slice(0, urlPath.lastIndexOf('/')) : '/';
      let remove = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=').map((s) => s.trim());
        if (k.toLowerCase() === 'path' && v.startsWith('/')) cookie.path = v;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) remove = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) remove = true;
      }
      const key = `${cookie.path}\0${cookie.name}`;
      if (remove || cookie.value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  async request(url, { method = 'GET', body, headers = {} } = {}) {
    const h = { accept: 'text/html', ...headers };
    const cookie = this.cookieHeader(url);
    if (cookie) h.cookie = cookie;
    if (body !== undefined) h['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    this.#store(url, response.headers.getSetCookie());
    const text = await response.text();
    const location = response.headers.get('location');
    return { url: new URL(url), status: response.status, text, location: location === null ? undefined : new URL(location, url) };
  }

  /**
   * Drives an authorization request to the redirect URI: follows redirects, fills a login form
   * (email, password) and presses allow on a consent form. Returns the callback URL.
   */
  async authorize(url, { redirectUri, email, password }) {
    let next = new URL(url);
    let init = {};
    for (let step = 0; step < 20; step++) {
      const page = await this.request(next, init);
      if (page.status >= 300 && page.status < 400 && page.location) {
        if (page.location.href.startsWith(redirectUri)) return page.location;
        next = page.location;
        init = {};
        continue;
      }
      const forms = page.status === 200 || page.status === 401 ? parseForms(page.text, page.url) : [];
      const login = forms.find((f) => f.inputs.includes('email') && f.inputs.includes('password'));
      const consent = forms.find((f) => f.buttons.includes('decision'));
      if (login) {
        init = { method: 'POST', body: formBody({ ...login.hidden, email, password }) };
        next = login.action;
      } else if (consent) {
        init = { method: 'POST', body: formBody({ ...consent.hidden, decision: 'allow' }) };
        next = consent.action;
      } else {
        const text = page.text.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
        throw new Error(`unexpected answer during authorization: ${page.status} ${page.url.pathname}: ${text.slice(0, 400)}`);
      }
    }
    throw new Error('authorization did not reach the redirect URI');
  }
}
