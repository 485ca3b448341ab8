/**
 * Another process holds SQLite's write lock on the server's latch.db (a long `latch` command, a backup tool, a
 * second server): token requests wait for it without blocking the server, answer 503 with Retry-After once
 * LATCH_SQLITE_LOCK_TIMEOUT is up, reads (introspection, discovery, JWKS) keep answering meanwhile, and tokens
 * are issued again as soon as the lock is released.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/storage/sqlite/connection.js';
import { expectTokenError, getJson, introspect, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let m2m: TestClient;
let holder: ChildProcess | undefined;

beforeAll(async () => {
  ts = await startTestServer({ sqliteLockTimeout: 1 });
  m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
});
afterEach(() => {
  holder?.kill();
  holder = undefined;
});
afterAll(async () => {
  await ts?.close();
});

/** A child process that takes the write lock (BEGIN IMMEDIATE) and holds it until told on stdin. */
async function holdWriteLock(dbPath: string): Promise<{ release(): Promise<void> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, dbPath], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  holder = child;
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  const says = async (word: string) => {
    while (!output.includes(word)) {
      const exited = once(child, 'exit').then(() => {
        throw new Error(`the lock holder exited before saying ${word}`);
      });
      await Promise.race([once(child.stdout!, 'data'), exited]);
    }
  };
  await says('locked');
  return {
    async release() {
      child.stdin!.write('go\n');
      await says('released');
      await once(child, 'exit').catch(() => undefined);
    },
  };
}

function clientCredentials() {
  return tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read' }, m2m);
}

describe('SQLite write lock held by another process', () => {
  it('answers token requests 503 with Retry-After in bounded time, keeps reads answering, and recovers', async () => {
    const before = await clientCredentials();
    expect(before.status, before.text).toBe(200);

    const lock = await holdWriteLock(join(ts.dataDir, SQLITE_FILE_NAME));
    let tokenSettled = false;
    const started = Date.now();
    const pending = clientCredentials().finally(() => (tokenSettled = true));

    // While the token request waits for the lock, reads answer (the event loop is not blocked, and reads do not
    // queue behind the waiting write).
    const info = await introspect(ts, before.body.access_token, m2m);
    expect(info.status, info.text).toBe(200);
    expect(info.body).toMatchObject({ active: true, client_id: m2m.clientId });
    expect((await getJson(`${ts.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await getJson(`${ts.issuer}/jwks`)).status).toBe(200);
    expect(tokenSettled, 'the reads answered only after the write gave up').toBe(false);

    const during = await pending;
    expectTokenError(during, 503, 'temporarily_unavailable');
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(4000);

    await lock.release();
    const after = await clientCredentials();
    expect(after.status, after.text).toBe(200);
    expect((await introspect(ts, after.body.access_token, m2m)).body).toMatchObject({ active: true });
  });

  it('a write waiting for a lock released in time succeeds', async () => {
    const lock = await holdWriteLock(join(ts.dataDir, SQLITE_FILE_NAME));
    const pending = clientCredentials();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lock.release();
    const res = await pending;
    expect(res.status, res.text).toBe(200);
    expect((await introspect(ts, res.body.access_token, m2m)).body).toMatchObject({ active: true });
  });
});
