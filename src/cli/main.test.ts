import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-main-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[]) => runLatch(argv, { env });

describe('latch', () => {
  it('help prints usage on stdout', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      const result = await latch(argv);
      expectCode(result, 0);
      expect(result.stdout).toMatch(/Usage: latch <command>/);
    }
    expect((await latch(['help', 'clients'])).stdout).toMatch(/Usage: latch clients/);
    expect((await latch(['clients', 'create', '--help'])).stdout).toMatch(/--redirect-uri U/);
    expect((await latch(['users', '--help'])).stdout).toMatch(/set-password/);
    expect((await latch(['keys', 'help'])).stdout).toMatch(/rotate/);
  });

  it('no command: usage on stderr, exit 2', async () => {
    const result = await latch([]);
    expectCode(result, 2);
    expect(result.stderr).toMatch(/Usage: latch/);
    expect(result.stdout).toBe('');
  });

  it('unknown command or flag: exit 2 with a message naming it', async () => {
    const cmd = await latch(['frobnicate']);
    expectCode(cmd, 2);
    expect(cmd.stderr).toMatch(/unknown command "frobnicate"/);
    const sub = await latch(['users', 'frobnicate']);
    expectCode(sub, 2);
    expect(sub.stderr).toMatch(/users: unknown command "frobnicate"/);
    const flag = await latch(['clients', 'list', '--verbose']);
    expectCode(flag, 2);
    expect(flag.stderr).toMatch(/--verbose/);
    const extra = await latch(['keys', 'list', 'extra']);
    expectCode(extra, 2);
    expect(extra.stderr).toMatch(/unexpected argument "extra"/);
  });

  it('a wrong configuration value: exit 1 naming the variable', async () => {
    const result = await runLatch(['users', 'list'], { env: { ...env, PORT: 'eighty' } });
    expectCode(result, 1);
    expect(result.stderr).toMatch(/PORT/);
  });

  it('with --json, a failure is one JSON object on stderr (error, message, field), with the same exit codes', async () => {
    const failure = (result: { code: number; stdout: string; stderr: string }) => {
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      return JSON.parse(result.stderr) as { error: string; message: string; field?: string };
    };
    const usageError = await latch(['clients', 'list', '--verbose', '--json']);
    expectCode(usageError, 2);
    expect(failure(usageError)).toMatchObject({ error: 'usage', message: expect.stringMatching(/--verbose/) });

    const input = await latch(['clients', 'create', '--name', 'A', '--type', 'web', '--redirect-uri', 'ftp://a.example/cb', '--json']);
    expectCode(input, 1);
    expect(failure(input)).toEqual({ error: 'invalid_input', field: '--redirect-uri', message: expect.stringMatching(/^--redirect-uri: "ftp:/) });

    const missing = await latch(['clients', 'delete', 'nobody', '--json']);
    expectCode(missing, 1);
    expect(failure(missing)).toEqual({ error: 'not_found', message: 'client not found: nobody' });

    const config = await runLatch(['users', 'list', '--json'], { env: { ...env, PORT: 'eighty' } });
    expectCode(config, 1);
    expect(failure(config)).toMatchObject({ error: 'invalid_config', field: 'PORT', message: expect.stringMatching(/PORT/) });

    const secret = await runLatch(['keys', 'rotate', '--json'], { env: { ...env, LATCH_SECRET: 'too-short' } });
    expectCode(secret, 1);
    expect(failure(secret)).toMatchObject({ error: 'invalid_config', field: 'LATCH_SECRET' });

    // Without --json, the same failures stay plain text.
    const text = await latch(['clients', 'delete', 'nobody']);
    expectCode(text, 1);
    expect(text.stderr).toBe('latch: client not found: nobody\n');
  });

  it('migrate applies migrations once, then reports up to date', async () => {
    const first = await latch(['migrate', '--json']);
    expectCode(first, 0);
    const applied = first.json<{ applied: string[]; dialect: string }>();
    expect(applied.dialect).toBe('sqlite');
    expect(applied.applied.length).toBeGreaterThan(0);
    const second = await latch(['migrate']);
    expectCode(second, 0);
    expect(second.stdout).toMatch(/up to date/);
    expect((await latch(['migrate', '--json'])).json()).toEqual({ applied: [], dialect: 'sqlite' });
  });

  const serverExists = existsSync(new URL('../http/server.ts', import.meta.url));
  it.skipIf(!serverExists)('start serves discovery until stopped', async () => {
    const controller = new AbortController();
    let started: (info: { issuer: string; url: string; discovery: string }) => void = () => {};
    const startedPromise = new Promise<{ issuer: string; url: string; discovery: string }>((resolve) => (started = resolve));
    const running = runLatch(['start', '--json'], {
      env: { ...env, PORT: '0', LATCH_LOG_LEVEL: 'silent' },
      signal: controller.signal,
      onStdout: (all) => {
        try {
          started(JSON.parse(all));
        } catch {
          // not complete yet
        }
      },
    });
    const info = await Promise.race([startedPromise, running.then((r) => Promise.reject(new Error(`exited: ${r.stderr}`)))]);
    expect(info.discovery).toBe(`${info.issuer}/.well-known/openid-configuration`);
    const response = await fetch(`${info.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    controller.abort();
    const result = await running;
    expectCode(result, 0);
    expect(result.stderr).toMatch(/shutting down/);
  });
});
