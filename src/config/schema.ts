import { z } from 'zod';

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
  secret: { env: 'LATCH_SECRET', doc: 'Base64url 32-byte key that encrypts signing keys at rest; default: generated into <dataDir>/secret.key.', default: undefined },
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
  loginMaxAttempts: { env: 'LATCH_LOGIN_MAX_ATTEMPTS', doc: 'Login attempts allowed per account (and 10x that per client IP) within the login window; a success resets the account count.', default: 5 },
  loginWindow: { env: 'LATCH_LOGIN_WINDOW', doc: 'Login rate-limit window in seconds.', default: 900 },
  passwordGrant: { env: 'LATCH_PASSWORD_GRANT', doc: 'Allow the resource owner password grant (discouraged) for clients registered with it.', default: false },
  keyAlgorithms: { env: 'LATCH_KEY_ALGORITHMS', doc: 'Comma-separated signing algorithms to keep keys for (RS256 and ES256 always).', default: 'RS256,ES256,PS256,EdDSA' },
  trustProxy: { env: 'LATCH_TRUST_PROXY', doc: 'Trust X-Forwarded-* headers (true behind a reverse proxy).', default: false },
} as const;

const seconds = z.coerce.number().int().positive();

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
    secret: z
      .string()
      .refine((v) => Buffer.from(v, 'base64url').length === 32, 'must be 32 bytes, base64url-encoded')
      .optional(),
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
    loginMaxAttempts: seconds.default(5),
    loginWindow: seconds.default(900),
    passwordGrant: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
    keyAlgorithms: z
      .string()
      .default('RS256,ES256,PS256,EdDSA')
      .transform((v) => [...new Set(['RS256', 'ES256', ...v.split(',').map((s) => s.trim()).filter(Boolean)])])
      .pipe(z.array(z.enum(['RS256', 'ES256', 'PS256', 'EdDSA']))),
    trustProxy: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
      .default(false)
      .transform((v) => v === true || v === 'true' || v === '1'),
  })
  .strict()
  .transform((c) => ({ ...c, issuer: c.issuer ?? `http://localhost:${c.port}` }));

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
