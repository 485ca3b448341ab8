import { loadPasswordPolicy } from '../../core/accounts/password-policy.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_API } from '../../admin/builtins.js';
import { createClient } from '../../admin/clients.js';
import { loadConfig } from '../../config/load.js';
import { OneAtATime } from '../../core/accounts/one-at-a-time.js';
import { createLogMailer } from '../../mail/log-mailer.js';
import { createLogoCache } from '../../pages/logo-cache.js';
import { issueOpaqueToken } from '../../core/tokens/opaque.js';
import { loadKeyRing } from '../../keys/key-ring.js';
import { openMigratedStore, type OpenedStore } from '../../storage/open.js';
import type { Store } from '../../storage/types.js';
import { StoreUnavailableError } from '../../storage/unavailable.js';
import { buildApp } from '../app.js';
import type { AppContext } from '../context.js';
import { fastifyPath } from './register.js';

let root: string;
let store: OpenedStore;
let base: Omit<AppContext, 'store'>;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-admin-api-'));
  store = await openMigratedStore({ dataDir: root });
  await createClient(store, { name: 'Machine', kind: 'm2m', clientId: 'machine', extraScopes: ['admin:read', 'admin:write'] });
  const secret = Buffer.alloc(32, 9);
  base = {
    config: loadConfig({}, { dataDir: root }),
    keys: await loadKeyRing({ repo: store.keys, secret, algorithms: ['ES256'] }),
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

/** The store, with one repository method failing as a database outage does. */
function failing<K extends keyof Store>(repo: K, method: string): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== repo) return value;
      return new Proxy(value as object, {
        get(inner, name, r) {
          if (name === method) return async () => Promise.reject(new StoreUnavailableError('the database is unreachable', { retryAfter: 3 }));
          const v = Reflect.get(inner, name, r);
          return typeof v === 'function' ? v.bind(inner) : v;
        },
      });
    },
  }) as Store;
}

async function adminToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { value } = await issueOpaqueToken(
    { kind: 'access_token', grantId: null, clientId: 'machine', sub: null, scope: 'admin:read admin:write', audience: ADMIN_API, now, ttl: 600 },
    store.tokens,
  );
  return value;
}

describe('registerAdminApi', () => {
  it('turns /clients/{client_id} into a Fastify path', () => {
    expect(fastifyPath('/users/{sub}/roles/{role}')).toBe('/users/:sub/roles/:role');
  });

  it('answers 503 with Retry-After and a problem when the store cannot be reached (token look-up)', async () => {
    const app = buildApp({ ...base, store: failing('tokens', 'findWithGrant') }, { logLevel: 'silent', trustProxy: false, turnEnd: store.turnEnd });
    try {
      const res = await app.inject({ method: 'GET', url: '/admin/api/clients', headers: { authorization: `Bearer ${await adminToken()}` } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, title: 'Service unavailable' });
    } finally {
      await app.close();
    }
  });

  it('answers 503 when a write cannot reach the store, and nothing is written', async () => {
    const app = buildApp({ ...base, store: failing('clients', 'create') }, { logLevel: 'silent', trustProxy: false, turnEnd: store.turnEnd });
    try {
      const before = (await store.clients.list()).length;
      const res = await app.inject({
        method: 'POST',
        url: '/admin/api/clients',
        headers: { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
        payload: { client_name: 'Never', latch_client_kind: 'm2m' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect((await store.clients.list()).length).toBe(before);
    } finally {
      await app.close();
    }
  });

  it('a body that is too large or not JSON is a problem, never a 500', async () => {
    const app = buildApp({ ...base, store }, { logLevel: 'silent', trustProxy: false, turnEnd: store.turnEnd });
    try {
      const headers = { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' };
      const big = await app.inject({ method: 'POST', url: '/admin/api/clients', headers, payload: JSON.stringify({ client_name: 'x'.repeat(70_000) }) });
      expect(big.statusCode).toBe(413);
      expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
      const broken = await app.inject({ method: 'POST', url: '/admin/api/clients', headers, payload: '{"client_name":' });
      expect(broken.statusCode).toBe(400);
      expect(broken.json().errors[0].field).toBe('body');
      const array = await app.inject({ method: 'POST', url: '/admin/api/clients', headers, payload: '[1,2]' });
      expect(array.statusCode).toBe(400);
      const text = await app.inject({ method: 'POST', url: '/admin/api/clients', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'hello' });
      expect(text.statusCode).toBe(415);
      expect(text.headers['content-type']).toMatch(/^application\/problem\+json/);
    } finally {
      await app.close();
    }
  });
});
