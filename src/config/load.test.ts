import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { settings } from './schema.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.keyAlgorithms).toEqual(['RS256', 'ES256', 'PS256', 'EdDSA']);
    expect(config.refreshReuseInterval).toBe(10);
    expect(loadConfig({ LATCH_REFRESH_REUSE_INTERVAL: '0' }).refreshReuseInterval).toBe(0);
    expect(config.eventRetentionDays).toBe(90);
    expect(loadConfig({ LATCH_EVENT_RETENTION_DAYS: '7' }).eventRetentionDays).toBe(7);
  });

  it('derives the issuer from PORT and reads environment variables', () => {
    const config = loadConfig({ PORT: '4000', LATCH_DATA_DIR: '/tmp/x', LATCH_DATABASE_URL: 'postgres://127.0.0.1/test' });
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.dataDir).toBe('/tmp/x');
    expect(config.databaseUrl).toBe('postgres://127.0.0.1/test');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LATCH_ISSUER: 'not a url' }, 'LATCH_ISSUER'],
    [{ LATCH_ISSUER: 'https://id.example.com/' }, 'LATCH_ISSUER'],
    [{ LATCH_DATABASE_URL: 'mysql://x' }, 'LATCH_DATABASE_URL'],
    [{ LATCH_SECRET: 'short' }, 'LATCH_SECRET'],
    [{ LATCH_LOG_LEVEL: 'loud' }, 'LATCH_LOG_LEVEL'],
    [{ LATCH_KEY_ALGORITHMS: 'HS256' }, 'LATCH_KEY_ALGORITHMS'],
    [{ LATCH_CODE_TTL: '-5' }, 'LATCH_CODE_TTL'],
    [{ LATCH_REQUEST_TIMEOUT: '-1' }, 'LATCH_REQUEST_TIMEOUT'],
    [{ LATCH_HEADERS_TIMEOUT: '60' }, 'LATCH_HEADERS_TIMEOUT'],
    [{ LATCH_SQLITE_LOCK_TIMEOUT: '0' }, 'LATCH_SQLITE_LOCK_TIMEOUT'],
    [{ LATCH_DATABASE_CONNECT_TIMEOUT: 'soon' }, 'LATCH_DATABASE_CONNECT_TIMEOUT'],
    [{ LATCH_REFRESH_REUSE_INTERVAL: '-1' }, 'LATCH_REFRESH_REUSE_INTERVAL'],
    [{ LATCH_REFRESH_REUSE_INTERVAL: 'soon' }, 'LATCH_REFRESH_REUSE_INTERVAL'],
    [{ LATCH_EVENT_RETENTION_DAYS: '0' }, 'LATCH_EVENT_RETENTION_DAYS'],
  ])('a wrong value %o names %s', (env, name) => {
    expect(() => loadConfig(env)).toThrowError(ConfigError);
    expect(() => loadConfig(env)).toThrowError(name);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['0', false],
    ['2', 2],
    ['127.0.0.1', ['127.0.0.1']],
    [' 10.0.0.0/8, 192.0.2.1 ,::1,fd00::/8,loopback', ['10.0.0.0/8', '192.0.2.1', '::1', 'fd00::/8', 'loopback']],
    ['10.0.0.0/255.0.0.0', ['10.0.0.0/255.0.0.0']],
  ])('LATCH_TRUST_PROXY=%s is %o', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { LATCH_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each(['yes', '1.2.3', '10.0.0.0/33', '::1/129', 'localhost', '10.0.0.1/8/8', ','])(
    'LATCH_TRUST_PROXY=%s fails at start, listing the accepted values',
    (value) => {
      expect(() => loadConfig({ LATCH_TRUST_PROXY: value })).toThrowError(ConfigError);
      expect(() => loadConfig({ LATCH_TRUST_PROXY: value })).toThrowError(
        /LATCH_TRUST_PROXY \(config key "trustProxy"\): .*not accepted; use true \(trust every X-Forwarded-For.*false, a hop count.*comma-separated proxy addresses and CIDR ranges/,
      );
    },
  );

  it('takes trustProxy from a config file as a boolean, a number or a list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latch-config-'));
    const file = join(dir, 'latch.json');
    for (const [value, expected] of [[true, true], [1, 1], [['10.1.2.3', '10.2.0.0/16'], ['10.1.2.3', '10.2.0.0/16']]] as const) {
      writeFileSync(file, JSON.stringify({ trustProxy: value }));
      expect(loadConfig({ LATCH_CONFIG: file }).trustProxy).toEqual(expected);
    }
    writeFileSync(file, JSON.stringify({ trustProxy: ['yes'] }));
    expect(() => loadConfig({ LATCH_CONFIG: file })).toThrowError(/trustProxy.*"yes" is not accepted/);
  });

  it('has throttle defaults and refuses wrong throttle values', () => {
    const config = loadConfig({});
    expect([config.throttleMaxFailures, config.throttleAddressMaxFailures, config.throttleSlowdownAfter, config.throttleMaxDelay, config.throttleWindow]).toEqual([
      5, 100, 10, 8, 900,
    ]);
    expect(() => loadConfig({ LATCH_THROTTLE_MAX_FAILURES: '0' })).toThrowError('LATCH_THROTTLE_MAX_FAILURES');
    expect(() => loadConfig({ LATCH_THROTTLE_MAX_DELAY: '-1' })).toThrowError('LATCH_THROTTLE_MAX_DELAY');
    expect(loadConfig({ LATCH_THROTTLE_MAX_DELAY: '0.5' }).throttleMaxDelay).toBe(0.5);
  });

  it('refuses the replaced login settings and names what replaced them, from the environment and from a file', () => {
    expect(() => loadConfig({ LATCH_LOGIN_MAX_ATTEMPTS: '3' })).toThrowError(/LATCH_LOGIN_MAX_ATTEMPTS .*replaced by LATCH_THROTTLE_MAX_FAILURES/);
    expect(() => loadConfig({ LATCH_LOGIN_WINDOW: '60' })).toThrowError(/replaced by LATCH_THROTTLE_WINDOW/);
    const dir = mkdtempSync(join(tmpdir(), 'latch-config-'));
    const file = join(dir, 'latch.json');
    writeFileSync(file, JSON.stringify({ loginMaxAttempts: 3 }));
    expect(() => loadConfig({ LATCH_CONFIG: file })).toThrowError(/config key "loginMaxAttempts"\) was replaced by LATCH_THROTTLE_MAX_FAILURES \(config key "throttleMaxFailures"\)/);
  });

  it('reads a JSON config file, environment variables win, unknown keys are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latch-config-'));
    const file = join(dir, 'latch.json');
    writeFileSync(file, JSON.stringify({ port: 5000, codeTtl: 30 }));
    const config = loadConfig({ LATCH_CONFIG: file, LATCH_CODE_TTL: '45' });
    expect(config.port).toBe(5000);
    expect(config.codeTtl).toBe(45);
    writeFileSync(file, JSON.stringify({ prot: 5000 }));
    expect(() => loadConfig({ LATCH_CONFIG: file })).toThrowError(/unknown setting.*prot/);
    writeFileSync(file, '{nope');
    expect(() => loadConfig({ LATCH_CONFIG: file })).toThrowError(/LATCH_CONFIG/);
  });

  it('reads LATCH_SMTP_URL and LATCH_MAIL_FROM, sending from no-reply at the issuer host by default', () => {
    const config = loadConfig({ LATCH_ISSUER: 'https://id.example.com/auth' });
    expect(config.smtpUrl).toBeUndefined();
    expect(config.mailFrom).toBe('Latch <no-reply@id.example.com>');
    expect(loadConfig({}).mailFrom).toBe('Latch <no-reply@localhost>');
    for (const url of ['smtp://mail.example.com', 'smtp://mail.example.com:2525', 'smtps://user%40x:p%40ss@mail.example.com:465', 'smtp://127.0.0.1:25/']) {
      expect(loadConfig({ LATCH_SMTP_URL: url }).smtpUrl, url).toBe(url);
    }
    for (const from of ['id@acme.example', 'Acme <id@acme.example>', '"Acme, Inc." <id@acme.example>', '  Acme Konten <konto@acme.example> ']) {
      expect(loadConfig({ LATCH_MAIL_FROM: from }).mailFrom, from).toBe(from.trim());
    }
  });

  it('refuses a wrong LATCH_SMTP_URL or LATCH_MAIL_FROM, naming the key and never repeating the password', () => {
    for (const url of ['http://user:hunter2-secret@mail.example.com', 'mail.example.com', 'smtp://:hunter2-secret@mail.example.com', 'smtp://user:hunter2-secret@mail.example.com/path', 'smtp://mail.example.com?secure=hunter2-secret']) {
      let error: unknown;
      try {
        loadConfig({ LATCH_SMTP_URL: url });
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).settings).toEqual(['LATCH_SMTP_URL']);
      expect((error as Error).message, url).toMatch(/LATCH_SMTP_URL \(config key "smtpUrl"\): must/);
      expect((error as Error).message, url).not.toContain('hunter2');
    }
    for (const from of ['no-at-sign', 'Acme <id@acme.example', 'a@b.example\r\nBcc: evil@x.example', 'Acme <a@b.example>, evil@x.example', '<>']) {
      expect(() => loadConfig({ LATCH_MAIL_FROM: from }), from).toThrowError(/LATCH_MAIL_FROM \(config key "mailFrom"\): must be an email address/);
    }
  });

  it('every setting is documented in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [key, setting] of Object.entries(settings)) {
      expect(readme, setting.env).toContain(`| \`${setting.env}\` | \`${key}\` |`);
    }
  });
});
