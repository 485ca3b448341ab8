/**
 * A tiny browser for black-box flow tests: fetch with a cookie jar (per host, RFC 6265 path rules),
 * redirects followed by hand, and generic HTML form parsing so tests do not depend on markup details.
 */

export interface Page {
  url: URL;
  method: string;
  status: number;
  headers: Headers;
  body: string;
  /** The resolved Location header, when there is one. */
  location?: URL;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt?: number;
}

export interface FormControl {
  name: string;
  value: string;
  type: string;
  /** The visible text of a <button> (tags stripped, whitespace collapsed). */
  label?: string;
}

export interface ParsedForm {
  action: URL;
  method: string;
  /** Every named <input> (hidden, text, email, password, ...). */
  inputs: FormControl[];
  /** Named <button> and <input type="submit"> elements. */
  buttons: FormControl[];
}

export interface RequestInit {
  method?: string;
  body?: URLSearchParams | string;
  headers?: Record<string, string>;
}

export type NavigationResult =
  | { kind: 'redirect'; url: URL; trail: Page[] }
  | { kind: 'page'; page: Page; trail: Page[] };

export interface Credentials {
  email: string;
  password: string;
}

export interface AuthorizeOptions {
  /** The client's redirect URI: navigation stops at the first Location that starts with it. */
  stopAt: string;
  credentials?: Credentials;
  /** What to press on the consent page; when absent a consent page is an error. */
  decision?: 'allow' | 'deny';
}

export interface AuthorizeResult {
  /** The URL the authorization server sent the browser to (redirect_uri + response). */
  callback: URL;
  /** The response parameters, from the query or (for fragment responses) the fragment. */
  params: URLSearchParams;
  sawLogin: boolean;
  sawConsent: boolean;
  trail: Page[];
}

const namedEntities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function decodeHtml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return namedEntities[entity.toLowerCase()] ?? whole;
  });
}

export function parseAttributes(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(tag)) !== null) {
    const name = match[1]!.toLowerCase();
    if (name in attributes) continue;
    attributes[name] = decodeHtml(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

export function parseForms(html: string, baseUrl: URL): ParsedForm[] {
  const forms: ParsedForm[] = [];
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  let match: RegExpExecArray | null;
  while ((match = formRe.exec(html)) !== null) {
    const attributes = parseAttributes(match[1]!);
    const inner = match[2]!;
    const inputs: FormControl[] = [];
    const buttons: FormControl[] = [];
    for (const input of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const a = parseAttributes(input[1]!);
      if (!a.name) continue;
      const type = (a.type ?? 'text').toLowerCase();
      const control = { name: a.name, value: a.value ?? '', type };
      if (type === 'submit') buttons.push(control);
      else inputs.push(control);
    }
    for (const button of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const a = parseAttributes(button[1]!);
      if (!a.name) continue;
      const label = decodeHtml(button[2]!.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
      buttons.push({ name: a.name, value: a.value ?? '', type: (a.type ?? 'submit').toLowerCase(), label });
    }
    forms.push({
      action: new URL(attributes.action ?? '', baseUrl),
      method: (attributes.method ?? 'get').toUpperCase(),
      inputs,
      buttons,
    });
  }
  return forms;
}

/** The hidden inputs of a form, as a body to which the test adds its own fields. */
export function hiddenFields(form: ParsedForm): URLSearchParams {
  const body = new URLSearchParams();
  for (const input of form.inputs) {
    if (input.type === 'hidden') body.append(input.name, input.value);
  }
  return body;
}

export function isLoginForm(form: ParsedForm): boolean {
  return form.inputs.some((i) => i.name === 'password') && form.inputs.some((i) => i.name === 'email');
}

export function isConsentForm(form: ParsedForm): boolean {
  return form.buttons.some((b) => b.name === 'decision');
}

export function findLoginForm(page: Page): ParsedForm | undefined {
  return parseForms(page.body, page.url).find(isLoginForm);
}

export function findConsentForm(page: Page): ParsedForm | undefined {
  return parseForms(page.body, page.url).find(isConsentForm);
}

/** Authorization response parameters: the query, or the fragment when the query has none. */
export function responseParams(url: URL): URLSearchParams {
  if (url.search.length > 1) return new URLSearchParams(url.search);
  if (url.hash.length > 1) return new URLSearchParams(url.hash.slice(1));
  return new URLSearchParams();
}

function snippet(page: Page): string {
  return `${page.method} ${page.url.href} -> ${page.status}\n${page.body.slice(0, 1500)}`;
}

export class Browser {
  readonly #jar = new Map<string, Map<string, StoredCookie>>();
  /** Sent with every request (e.g. X-Forwarded-For, to pose as a client behind a proxy). */
  readonly #headers: Record<string, string>;

  constructor(options: { headers?: Record<string, string> } = {}) {
    this.#headers = options.headers ?? {};
  }

  /** The cookies this browser would send to `url`. */
  cookies(url: string | URL): Record<string, string> {
    const target = new URL(url);
    const out: Record<string, string> = {};
    const now = Date.now();
    const host = this.#jar.get(target.hostname);
    if (!host) return out;
    for (const cookie of host.values()) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) continue;
      if (!pathMatches(target.pathname, cookie.path)) continue;
      out[cookie.name] = cookie.value;
    }
    return out;
  }

  clearCookies(): void {
    this.#jar.clear();
  }

  #store(url: URL, setCookieHeaders: string[]): void {
    storeCookies(this.#jar, url, setCookieHeaders);
  }

  /** One HTTP request, no redirect following. Sends and stores cookies. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Page> {
    const target = new URL(url);
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml', ...this.#headers, ...init.headers };
    const cookies = Object.entries(this.cookies(target));
    if (cookies.length > 0) headers.cookie = cookies.map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.body !== undefined) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const response = await fetch(target, { method, headers, body, redirect: 'manual' });
    this.#store(target, response.headers.getSetCookie());
    const text = await response.text();
    const location = response.headers.get('location');
    const page: Page = { url: target, method, status: response.status, headers: response.headers, body: text };
    if (location !== null) page.location = new URL(location, target);
    return page;
  }

  /**
   * Follows redirects (303/302/301 become GET, 307/308 keep the method) until a Location starts
   * with `stopAt` (returned without being fetched) or a non-redirect response arrives.
   */
  async navigate(url: string | URL, options: { stopAt: string; init?: RequestInit; maxRedirects?: number }): Promise<NavigationResult> {
    const trail: Page[] = [];
    let next: URL = new URL(url);
    let init: RequestInit = options.init ?? {};
    if (next.href.startsWith(options.stopAt)) return { kind: 'redirect', url: next, trail };
    for (let hop = 0; hop <= (options.maxRedirects ?? 10); hop++) {
      const page = await this.request(next, init);
      trail.push(page);
      if (page.status < 300 || page.status >= 400 || !page.location) return { kind: 'page', page, trail };
      if (page.location.href.startsWith(options.stopAt)) return { kind: 'redirect', url: page.location, trail };
      next = page.location;
      init = page.status === 307 || page.status === 308 ? init : {};
    }
    throw new Error(`too many redirects, last: ${next.href}`);
  }

  /** Submits a form with its hidden fields plus `fields` (and the pressed button), then follows redirects. */
  async submit(form: ParsedForm, fields: Record<string, string>, options: { stopAt: string }): Promise<NavigationResult> {
    const body = hiddenFields(form);
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    if (form.method === 'GET') {
      const target = new URL(form.action);
      target.search = body.toString();
      return this.navigate(target, { stopAt: options.stopAt });
    }
    return this.navigate(form.action, { stopAt: options.stopAt, init: { method: form.method, body } });
  }

  /**
   * Drives a whole authorization request: logs in when a login form appears, presses the consent
   * decision when a consent form appears, and returns the URL the browser is sent back to.
   */
  async authorize(url: string | URL, options: AuthorizeOptions): Promise<AuthorizeResult> {
    const trail: Page[] = [];
    let sawLogin = false;
    let sawConsent = false;
    let result = await this.navigate(url, { stopAt: options.stopAt });
    for (let step = 0; step < 6; step++) {
      trail.push(...result.trail);
      if (result.kind === 'redirect') {
        return { callback: result.url, params: responseParams(result.url), sawLogin, sawConsent, trail };
      }
      const page = result.page;
      const forms = parseForms(page.body, page.url);
      const login = forms.find(isLoginForm);
      const consent = forms.find(isConsentForm);
      if (login) {
        if (!options.credentials) throw new Error(`login page shown but no credentials given:\n${snippet(page)}`);
        if (sawLogin) throw new Error(`login page shown again after logging in:\n${snippet(page)}`);
        sawLogin = true;
        result = await this.submit(login, { email: options.credentials.email, password: options.credentials.password }, options);
      } else if (consent) {
        if (!options.decision) throw new Error(`consent page shown but no decision given:\n${snippet(page)}`);
        if (sawConsent) throw new Error(`consent page shown twice:\n${snippet(page)}`);
        sawConsent = true;
        result = await this.submit(consent, { decision: options.decision }, options);
      } else {
        throw new Error(`unexpected page during authorization:\n${snippet(page)}`);
      }
    }
    throw new Error('authorization did not finish');
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

function parseSetCookie(header: string, url: URL): { cookie: StoredCookie; remove: boolean } | undefined {
  const [pair, ...attrs] = header.split(';');
  if (!pair) return undefined;
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const cookie: StoredCookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path: defaultPath(url) };
  let remove = false;
  let maxAgeSeen = false;
  for (const attr of attrs) {
    const i = attr.indexOf('=');
    const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase();
    const value = i === -1 ? '' : attr.slice(i + 1).trim();
    if (key === 'path' && value.startsWith('/')) cookie.path = value;
    if (key === 'max-age') {
      maxAgeSeen = true;
      const seconds = Number(value);
      if (seconds <= 0) remove = true;
      else cookie.expiresAt = Date.now() + seconds * 1000;
    }
    if (key === 'expires' && !maxAgeSeen) {
      const at = Date.parse(value);
      if (!Number.isNaN(at)) {
        if (at <= Date.now()) remove = true;
        else cookie.expiresAt = at;
      }
    }
  }
  return { cookie, remove };
}

function storeCookies(jar: Map<string, Map<string, StoredCookie>>, url: URL, headers: string[]): void {
  for (const header of headers) {
    const parsed = parseSetCookie(header, url);
    if (!parsed) continue;
    let host = jar.get(url.hostname);
    if (!host) {
      host = new Map();
      jar.set(url.hostname, host);
    }
    const key = `${parsed.cookie.path}\u0000${parsed.cookie.name}`;
    if (parsed.remove) host.delete(key);
    else host.set(key, parsed.cookie);
  }
}

/** Posts the login form found on `page` with these credentials (and its hidden fields), without following the answer. */
export async function postLogin(browser: Browser, page: Page, email: string, password: string): Promise<Page> {
  const form = findLoginForm(page);
  if (!form) throw new Error(`no login form on ${page.url.href}`);
  const body = hiddenFields(form);
  body.set('email', email);
  body.set('password', password);
  return browser.request(form.action, { method: 'POST', body });
}
