import { isIP } from 'node:net';
import { z } from 'zod';
import { linkUrlValue, logoUriValue, primaryColorValue, productNameValue } from './brand-values.js';

/**
 * Every setting Latch reads: its environment variable, its config-file key, its default and one line of documentation.
 * `load.ts` merges the optional JSON config file (LATCH_CONFIG) with the environment (environment wins).
 */
export const settings = {
  port: { env: 'PORT', doc: 'TCP port the HTTP server listens on.', default: 3000 },
  host: { env: 'LATCH_HOST', doc: 'Interface the HTTP server binds (use 0.0.0.0 in a container).', default: 'localhost' },
  issuer: { env: 'LATCH_ISSUER', doc: 'Issuer identifier: the public base URL of this server, no trailing slash.', default: 'http://localhost:$PORT' },
  dataDir: { env: 'LATCH_DATA_DIR', doc: 'Directory for the embedded SQLite database and the local secret.', default: './data' },
  databaseUrl: { env: 'LATCH_DATABASE_URL', doc: 'A postgres:// URL switches storage to PostgreSQL; unset means SQLite in the data dir.', default: undefined },
  redisUrl: { env: 'LATCH_REDIS_URL', doc: 'A redis:// or rediss:// URL keeps rate limits, replay caches and interactions in Redis 7+ (shared by every instance; a /<db> number in the URL keeps deployments apart).', default: undefined },
  secret: { env: 'LATCH_SECRET', doc: 'Base64url 32-byte key that encrypts signing keys at rest; default: generated into <dataDir>/secret.key.', default: undefined },
  allowLocalSecret: { env: 'LATCH_ALLOW_LOCAL_SECRET', doc: 'PostgreSQL without LATCH_SECRET: use <dataDir>/secret.key anyway (one instance only: others could not decrypt the keys).', default: false },
  logLevel: { env: 'LATCH_LOG_LEVEL', doc: 'fatal, error, warn, info, debug, trace or silent.', default: 'info' },
  accessTokenTtl: { env: 'LATCH_ACCESS_TOKEN_TTL', doc: 'Access token lifetime in seconds.', default: 3600 },
  idTokenTtl: { env: 'LATCH_ID_TOKEN_TTL', doc: 'ID token lifetime in seconds.', default: 3600 },
  refreshTokenTtl: { env: 'LATCH_REFRESH_TOKEN_TTL', doc: 'Refresh token lifetime in seconds (each rotation starts a new one).', default: 1209600 },
  refreshReuseInterval: { env: 'LATCH_REFRESH_REUSE_INTERVAL', doc: 'Seconds after a rotation during which the same client presenting the old refresh token again gets the same new one back (parallel requests); 0 turns this off, at most 300.', default: 10 },
  codeTtl: { env: 'LATCH_CODE_TTL', doc: 'Authorization code lifetime in seconds.', default: 60 },
  deviceCodeTtl: { env: 'LATCH_DEVICE_CODE_TTL', doc: 'Device flow: how long a device_code and its user_code stay valid, in seconds.', default: 600 },
  deviceCodeInterval: { env: 'LATCH_DEVICE_CODE_INTERVAL', doc: 'Device flow: seconds a device must wait between polls of /token (slow_down adds 5).', default: 5 },
  sessionTtl: { env: 'LATCH_SESSION_TTL', doc: 'Single sign-on session lifetime in seconds.', default: 1209600 },
  interactionTtl: { env: 'LATCH_INTERACTION_TTL', doc: 'How long a person has to finish logging in and consenting, in seconds.', default: 900 },
  throttleMaxFailures: { env: 'LATCH_THROTTLE_MAX_FAILURES', doc: 'Failed passwords (or client secrets) per account (or client) from one address before a temporary lock (429); a success from there resets it.', default: 5 },
  throttleAddressMaxFailures: { env: 'LATCH_THROTTLE_ADDRESS_MAX_FAILURES', doc: 'Failed passwords (or client secrets) from one address, whatever the account, before a temporary lock of that address.', default: 100 },
  throttleSlowdownAfter: { env: 'LATCH_THROTTLE_SLOWDOWN_AFTER', doc: 'Failures per account (or client) from all addresses after which every attempt on it waits (never a lock).', default: 10 },
  throttleMaxDelay: { env: 'LATCH_THROTTLE_MAX_DELAY', doc: 'Longest slowdown in seconds (1 s at the threshold, doubling per further failure).', default: 8 },
  throttleWindow: { env: 'LATCH_THROTTLE_WINDOW', doc: 'Seconds over which failures are counted (a sliding window); a lock lasts until the count falls below the limit.', default: 900 },
  passwordGrant: { env: 'LATCH_PASSWORD_GRANT', doc: 'Allow the resource owner password grant (discouraged) for clients registered with it.', default: false },
  tokenExchange: { env: 'LATCH_TOKEN_EXCHANGE', doc: 'Allow RFC 8693 token exchange (an API trading a person\'s token for one for another API) for clients registered with it.', default: false },
  fapi2: { env: 'LATCH_FAPI2', doc: 'Apply the FAPI 2.0 Security Profile to every client (PAR, DPoP, private_key_jwt, PKCE S256, code only, 60 s codes, exact redirects, no refresh rotation).', default: false },
  keyAlgorithms: { env: 'LATCH_KEY_ALGORITHMS', doc: 'Comma-separated signing algorithms to keep keys for (RS256 and ES256 always).', default: 'RS256,ES256,PS256,EdDSA' },
  trustProxy: { env: 'LATCH_TRUST_PROXY', doc: 'Whose X-Forwarded-For to believe: false, comma-separated proxy addresses/CIDR ranges, a hop count, or true (trust everyone).', default: false },
  requestTimeout: { env: 'LATCH_REQUEST_TIMEOUT', doc: 'Seconds a client has to send a whole request, headers and body (408 and close after); 0: no limit.', default: 30 },
  headersTimeout: { env: 'LATCH_HEADERS_TIMEOUT', doc: 'Seconds a client has, once connected, to send the request headers; at most the request timeout.', default: 10 },
  databaseConnectTimeout: { env: 'LATCH_DATABASE_CONNECT_TIMEOUT', doc: 'PostgreSQL: seconds to wait for a connection (new, or free in the pool) before answering 503.', default: 5 },
  sqliteLockTimeout: { env: 'LATCH_SQLITE_LOCK_TIMEOUT', doc: "SQLite: seconds a write waits, without blocking the server, for another process's write lock before answering 503.", default: 2 },
  brandName: { env: 'LATCH_BRAND_NAME', doc: 'Product name on the sign-in pages (title and header), 1 to 64 characters; branding set in the console or admin API wins.', default: 'Latch' },
  brandLogoUri: { env: 'LATCH_BRAND_LOGO_URI', doc: 'Logo on the sign-in pages: an https URL of a PNG, JPEG, GIF or WebP image of at most 256 KB on a public address (http on a loopback host with LATCH_FETCH_ALLOW_PRIVATE); Latch serves a fetched copy.', default: undefined },
  brandPrimaryColor: { env: 'LATCH_BRAND_PRIMARY_COLOR', doc: 'Primary colour of the sign-in pages (buttons, links), as #rrggbb.', default: undefined },
  brandPrivacyUrl: { env: 'LATCH_BRAND_PRIVACY_URL', doc: 'Privacy policy link in the footer of the sign-in pages (http or https).', default: undefined },
  brandTermsUrl: { env: 'LATCH_BRAND_TERMS_URL', doc: 'Terms of service link in the footer of the sign-in pages (http or https).', default: undefined },
  brandSupportUrl: { env: 'LATCH_BRAND_SUPPORT_URL', doc: 'Support link in the footer of the sign-in pages (http or https).', default: undefined },
  smtpUrl: { env: 'LATCH_SMTP_URL', doc: 'Where email (verification, password reset) is sent: smtp://[user:password@]host[:port] (STARTTLS; required with a password unless the host is loopback) or smtps:// (TLS); unset: written to the log instead (development).', default: undefined },
  mailFrom: { env: 'LATCH_MAIL_FROM', doc: 'Sender of the email, an address with an optional name ("Acme <id@acme.example>").', default: 'Latch <no-reply@<issuer host>>' },
  fetchAllowPrivate: { env: 'LATCH_FETCH_ALLOW_PRIVATE', doc: 'Let Latch fetch (logos, upstream providers) from private, loopback and link-local addresses, and over http from loopback hosts; for tests and development only.', default: false },
  registration: { env: 'LATCH_REGISTRATION', doc: 'Dynamic client registration at POST /register (RFC 7591): token (an initial access token from `latch registration-tokens create` is required), open (anyone may register) or off (no endpoint).', default: 'token' },
  signup: { env: 'LATCH_SIGNUP', doc: 'Whether people may create their own account on the login page: open or off.', default: 'off' },
  signupDomains: { env: 'LATCH_SIGNUP_DOMAINS', doc: 'Comma-separated email domains sign-up accepts (example.com,example.org); empty: any domain.', default: '' },
  signupVerify: { env: 'LATCH_SIGNUP_VERIFY', doc: 'With sign-up open: an account whose email address is not verified cannot sign in until the person follows the link mailed to them.', default: true },
  mfa: { env: 'LATCH_MFA', doc: 'When a sign-in needs a second factor: required (every sign-in needs TOTP, a recovery code or a passkey; people without one enrol during sign-in), enrolled (every sign-in of a person who set one up) or off (only clients with default_acr_values, or requests with acr_values, ask for one).', default: 'off' },
  eventRetentionDays: { env: 'LATCH_EVENT_RETENTION_DAYS', doc: 'Days the audit trail (events) is kept; older events are deleted by the periodic purge.', default: 90 },
  purgeInterval: { env: 'LATCH_PURGE_INTERVAL', doc: 'Seconds between two purges of expired rows and old events (on PostgreSQL one instance purges at a time); 0 turns the periodic purge off (then run `latch purge`).', default: 600 },
  metricsAddress: { env: 'LATCH_METRICS_ADDRESS', doc: 'host:port of the separate listener serving Prometheus metrics at /metrics (never the public port); off disables it.', default: '127.0.0.1:9464' },
  accessLog: { env: 'LATCH_ACCESS_LOG', doc: 'One info line per request (method, route, status, duration, client_id, address; never a query string or credential); false turns it off.', default: true },
  shutdownDelay: { env: 'LATCH_SHUTDOWN_DELAY', doc: 'On SIGTERM/SIGINT: seconds /readyz answers 503 draining while the server still serves, so load balancers stop sending traffic; 0 allowed.', default: 5 },
  parTtl: { env: 'LATCH_PAR_TTL', doc: 'RFC 9126: seconds a request_uri from /par stays valid (single use), at most 600.', default: 60 },
  requirePar: { env: 'LATCH_REQUIRE_PAR', doc: 'RFC 9126 §5: every authorization request must come through /par (clients can require it one by one with require_pushed_authorization_requests).', default: false },
  requestUriRemote: { env: 'LATCH_REQUEST_URI_REMOTE', doc: 'Accept request_uri values other than those of /par: request objects Latch fetches from the client (https, public addresses, 5 s, 64 KB).', default: false },
  shutdownTimeout: { env: 'LATCH_SHUTDOWN_TIMEOUT', doc: 'After the delay: seconds requests in flight get to finish before the remaining connections are closed.', default: 10 },
  backchannelLogoutTimeout: { env: 'LATCH_BACKCHANNEL_LOGOUT_TIMEOUT', doc: "Back-Channel Logout: seconds each attempt to POST a logout token to a client's backchannel_logout_uri may take (decimals allowed).", default: 5 },
  backchannelLogoutAttempts: { env: 'LATCH_BACKCHANNEL_LOGOUT_ATTEMPTS', doc: 'Back-Channel Logout: attempts per logout token (1 s before the first retry, doubling) before a logout.backchannel_failed event.', default: 4 },
  dpopNonce: { env: 'LATCH_DPOP_NONCE', doc: 'DPoP (RFC 9449 §8): require a server nonce in every proof at /token and /userinfo (use_dpop_nonce; stateless, accepted by every instance with the same secret).', default: false },
  dpopIatWindow: { env: 'LATCH_DPOP_IAT_WINDOW', doc: "DPoP: seconds a proof's iat may be away from the server clock, either way (its jti is remembered that long), at most 600.", default: 60 },
} as const;

const seconds = z.coerce.number().int().positive();
const secondsOrOff = z.coerce.number().int().min(0);

/**
 * LATCH_METRICS_ADDRESS: `host:port` (an IPv6 host in brackets), or `off`. Port 0 picks a free port (tests).
 */
const metricsAddressSchema = z.string().default('127.0.0.1:9464').transform((v, ctx): { host: string; port: number } | 'off' => {
  const text = v.trim();
  if (text === 'off') return 'off';
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
  if (!match || port > 65535 || (match[1]?.startsWith('[') && isIP(host) !== 6)) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not host:port (e.g. 127.0.0.1:9464 or [::1]:9464) or off` });
    return z.NEVER;
  }
  return { host, port };
});

const booleanSetting = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { message: 'must be true or false' })
    .default(fallback)
    .transform((v) => v === true || v === 'true' || v === '1');

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts besides addresses and CIDR ranges. */
const namedRanges = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (namedRanges.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (isIP(prefix) === family) return true; // address/netmask
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export const trustProxyValues =
  'true (trust every X-Forwarded-For: only when nothing but the proxy can reach Latch), false, a hop count (e.g. 1), ' +
  'or comma-separated proxy addresses and CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8; also loopback, linklocal, uniquelocal)';

/**
 * LATCH_TRUST_PROXY, as Fastify's `trustProxy` takes it: a boolean, a hop count, or the proxies' addresses.
 * `true` believes whoever sends X-Forwarded-For, so anyone who reaches Latch directly can pose as any address.
 */
const trustProxySchema = z
  .union([z.boolean(), z.number(), z.string(), z.array(z.string())])
  .transform((v, ctx): boolean | number | string[] => {
    if (typeof v === 'boolean') return v;
    const text = Array.isArray(v) ? v.join(',') : String(v).trim();
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (/^\d{1,3}$/.test(text)) return Number(text) === 0 ? false : Number(text);
    const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
    const wrong = entries.filter((e) => !isProxyAddress(e));
    if (entries.length === 0 || wrong.length > 0) {
      ctx.addIssue({ code: 'custom', message: `${wrong.length ? `"${wrong.join('", "')}" is` : 'empty is'} not accepted; use ${trustProxyValues}` });
      return z.NEVER;
    }
    return entries;
  });

/**
 * LATCH_SMTP_URL. Its messages never repeat the value: it may carry the SMTP password.
 */
const smtpUrlSchema = z.string().superRefine((v, ctx) => {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an smtp:// or smtps:// URL (smtp://user:password@host:587)' });
    return;
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') ctx.addIssue({ code: 'custom', message: 'must start with smtp:// or smtps://' });
  else if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'must name a host' });
  else if (url.password && !url.username) ctx.addIssue({ code: 'custom', message: 'must name the user with the password (smtp://user:password@host)' });
  else if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'must not have a path, query or fragment' });
});

/** "name@domain" or "Display Name <name@domain>"; no line breaks (they would start new mail headers). */
const mailAddress = /^[^\s@<>"]+@[^\s@<>"]+$/;
const mailFromSchema = z.string().refine((v) => {
  if (/[\r\n\0]/.test(v)) return false;
  const named = /^([^<>"]*|"[^"]*")\s*<([^<>]+)>$/.exec(v.trim());
  return named ? mailAddress.test(named[2] ?? '') : mailAddress.test(v.trim());
}, 'must be an email address, optionally with a name: Acme <no-reply@acme.example>');

/** LATCH_SIGNUP_DOMAINS: lower-cased domain names, from a comma list (or a list in the config file). */
const domainName = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const signupDomainsSchema = z.union([z.string(), z.array(z.string())]).transform((v, ctx): string[] => {
  const entries = (Array.isArray(v) ? v : v.split(',')).map((e) => e.trim().toLowerCase().replace(/^@/, '')).filter(Boolean);
  const wrong = entries.filter((e) => !domainName.test(e));
  if (wrong.length > 0) {
    ctx.addIssue({ code: 'custom', message: `"${wrong.join('", "')}" is not a domain name; use comma-separated domains such as example.com,example.org` });
    return z.NEVER;
  }
  return [...new Set(entries)];
});

export const configSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535).default(3000),
    host: z.string().min(1).default('localhost'),
    issuer: z
      .string()
      .url()
      .refine((v) => !v.endsWith('/'), 'must not end with a slash')
      .refine((v) => !v.includes('?') && !v.includes('#'), 'must not have a query or fragment')
      .refine((v) => v.startsWith('https://') || v.startsWith('http://'), 'must be an http(s) URL')
      .optional(),
    dataDir: z.string().min(1).default('./data'),
    databaseUrl: z
      .string()
      .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL')
      .optional(),
    redisUrl: z
      .string()
      .refine((v) => /^rediss?:\/\/[^/?#]/.test(v) && URL.canParse(v), 'must be a redis:// or rediss:// URL')
      .optional(),
    secret: z
      .string()
      .refine((v) => Buffer.from(v, 'base64url').length === 32, 'must be 32 bytes, base64url-encoded')
      .optional(),
    allowLocalSecret: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    accessTokenTtl: seconds.default(3600),
    idTokenTtl: seconds.default(3600),
    refreshTokenTtl: seconds.default(1209600),
    refreshReuseInterval: z.coerce.number().int().min(0).max(300).default(10),
    codeTtl: seconds.default(60),
    deviceCodeTtl: seconds.default(600),
    deviceCodeInterval: seconds.default(5),
    sessionTtl: seconds.default(1209600),
    interactionTtl: seconds.default(900),
    throttleMaxFailures: seconds.default(5),
    throttleAddressMaxFailures: seconds.default(100),
    throttleSlowdownAfter: seconds.default(10),
    throttleMaxDelay: z.coerce.number().min(0).max(60).default(8),
    throttleWindow: seconds.default(900),
    passwordGrant: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
    tokenExchange: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
    fapi2: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
    fetchAllowPrivate: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
    keyAlgorithms: z
      .string()
      .default('RS256,ES256,PS256,EdDSA')
      .transform((v) => [...new Set(['RS256', 'ES256', ...v.split(',').map((s) => s.trim()).filter(Boolean)])])
      .pipe(z.array(z.enum(['RS256', 'ES256', 'PS256', 'EdDSA']))),
    trustProxy: trustProxySchema.default(false),
    requestTimeout: secondsOrOff.default(30),
    headersTimeout: seconds.default(10),
    databaseConnectTimeout: seconds.default(5),
    sqliteLockTimeout: seconds.default(2),
    brandName: productNameValue.optional(),
    brandLogoUri: logoUriValue.optional(),
    brandPrimaryColor: primaryColorValue.transform((v) => v.toLowerCase()).optional(),
    brandPrivacyUrl: linkUrlValue.optional(),
    brandTermsUrl: linkUrlValue.optional(),
    brandSupportUrl: linkUrlValue.optional(),
    smtpUrl: smtpUrlSchema.optional(),
    mailFrom: mailFromSchema.optional(),
    eventRetentionDays: z.coerce.number().int().positive().default(90),
    // At most what setInterval can wait (2^31 - 1 ms, about 24 days).
    purgeInterval: secondsOrOff.max(2_147_483, 'must be at most 2147483 seconds (about 24 days); 0 turns it off').default(600),
    registration: z.enum(['token', 'open', 'off'], { message: 'must be token, open or off' }).default('token'),
    signup: z.enum(['open', 'off'], { message: 'must be open or off' }).default('off'),
    signupDomains: signupDomainsSchema.default([]),
    signupVerify: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { message: 'must be true or false' })
      .default(true)
      .transform((v) => v === true || v === 'true' || v === '1'),
    mfa: z.enum(['off', 'enrolled', 'required'], { message: 'must be off, enrolled or required' }).default('off'),
    metricsAddress: metricsAddressSchema,
    accessLog: booleanSetting(true),
    shutdownDelay: secondsOrOff.default(5),
    shutdownTimeout: seconds.default(10),
    parTtl: seconds.max(600, 'must be at most 600 seconds').default(60),
    requirePar: booleanSetting(false),
    requestUriRemote: booleanSetting(false),
    backchannelLogoutTimeout: z.coerce.number().positive().max(60).default(5),
    backchannelLogoutAttempts: z.coerce.number().int().min(1).max(10).default(4),
    dpopNonce: booleanSetting(false),
    dpopIatWindow: seconds.max(600).default(60),
  })
  .strict()
  // Node's HTTP server refuses a headers timeout longer than its request timeout.
  .refine((c) => c.requestTimeout === 0 || c.headersTimeout <= c.requestTimeout, {
    message: 'must not exceed LATCH_REQUEST_TIMEOUT',
    path: ['headersTimeout'],
  })
  .transform((c) => {
    const issuer = c.issuer ?? `http://localhost:${c.port}`;
    return { ...c, issuer, mailFrom: c.mailFrom?.trim() ?? `Latch <no-reply@${new URL(issuer).hostname}>` };
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
