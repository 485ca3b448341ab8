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
    [{ LATCH_REFRESH_REUSE_INTERVAL: '-1' }, 'LATCH_REFRESH_REUSE_INTERVAL'],
    [{ LATCH_REFRESH_REUSE_INTERVAL: 'soon' }, 'LATCH_REFRESH_REUSE_INTERVAL'],
  ])('a wrong value %o names %s', (env, name) => {
    expect(() => loadConfig(env)).toThrowError(ConfigError);
    expect(() => loadConfig(env)).toThrowError(name);
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

  it('every setting is documented in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [key, setting] of Object.entries(settings)) {
      expect(readme, setting.env).toContain(`| \`${setting.env}\` | \`${key}\` |`);
    }
  });
});
