import { loadPasswordPolicy } from '../core/accounts/password-policy.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { OneAtATime } from '../core/accounts/one-at-a-time.js';
import { createLogMailer } from '../mail/log-mailer.js';
import { createLogoCache } from '../pages/logo-cache.js';
import { loadKeyRing } from '../keys/key-ring.js';
import { openMigratedStore, type OpenedStore } from '../storage/open.js';
import { buildApp, type BuildOptions } from './app.js';
import type { AppContext } from './context.js';

describe('X-Forwarded-For while LATCH_TRUST_PROXY is off', () => {
  let root: string;
  let store: OpenedStore;
  let ctx: AppContext;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-app-'));
    store = await openMigratedStore({ dataDir: root });
    const secret = Buffer.alloc(32, 7);
    ctx = {
      config: loadConfig({}, { dataDir: root }),
      store,
      keys: await loadKeyRing({ repo: store.keys, secret, algorithms: ['RS256', 'ES256'] }),
      csrfKey: secret,
      refreshSuccessorKey: secret,
      pairwiseSalt: secret,
      passwordTurns: new OneAtATime(),
      passwords: loadPasswordPolicy(),
      logos: createLogoCache(),
      mailer: createLogMailer(() => ({ info: () => undefined, warn: () => undefined })),
      now: () => Math.floor(Date.now() / 1000),
    };
  });
  afterAll(async () => {
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function warningsAfter(trustProxy: BuildOptions['trustProxy'], requests: Array<Record<string, string>>) {
    const lines: string[] = [];
    const app = buildApp(ctx, { logLevel: 'warn', trustProxy, turnEnd: store.turnEnd, logStream: { write: (line) => void lines.push(line) } });
    try {
      for (const headers of requests) await app.inject({ method: 'GET', url: '/userinfo', headers });
    } finally {
      await app.close();
    }
    return lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === 'config.trust_proxy_off');
  }

  it('warns once, at the first request that carries it', async () => {
    const warnings = await warningsAfter(false, [{}, { 'x-forwarded-for': '198.51.100.1' }, { 'x-forwarded-for': '198.51.100.2' }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/LATCH_TRUST_PROXY is off/);
  });

  it('does not warn without the header, or when proxies are trusted', async () => {
    expect(await warningsAfter(false, [{}, {}])).toHaveLength(0);
    expect(await warningsAfter(['127.0.0.1'], [{ 'x-forwarded-for': '198.51.100.1' }])).toHaveLength(0);
  });
});
