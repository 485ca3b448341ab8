/**
 * `latch backup` while a server takes writes (SQLite), and a restore from the copy: the copy is consistent (it
 * passes PRAGMA integrity_check and holds every token answered before the backup began), and a Latch started on
 * a directory with the copy as latch.db and the same secret.key serves the original's signing keys and clients.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTokens } from '../../src/storage/contract/purge.contract.js';
import { getJson, introspect, tokenRequest } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let m2m: TestClient;
let scratch: string;

beforeAll(async () => {
  ts = await startTestServer();
  m2m = await ts.client({ kind: 'm2m', scopes: ['reports:read'] });
  scratch = mkdtempSync(join(tmpdir(), 'latch-backup-flow-'));
  // Enough rows that the copy takes a while: the server answers requests meanwhile.
  await insertTokens(ts.latch.store.kysely, m2m.clientId, 60_000, Math.floor(Date.now() / 1000) + 86_400);
});

afterAll(async () => {
  await ts?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Issued {
  token: string;
  at: number;
}

/** Runs `latch backup` as its own process (as an operator would, beside the server); says when it began and ended. */
function backupProcess(file: string, dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string; began: number; ended: number }> {
  const script = `
    const { main } = await import(${JSON.stringify(new URL('../../src/cli/main.ts', import.meta.url).href)});
    process.stdout.write('began ' + Date.now() + '\\n');
    const code = await main(['backup', ${JSON.stringify(file)}]);
    process.stdout.write('ended ' + Date.now() + '\\n');
    process.exitCode = code;
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, LATCH_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const time = (word: string) => Number(new RegExp(`${word} (\\d+)`).exec(stdout)?.[1] ?? Number.NaN);
      resolve({ code, stdout, stderr, began: time('began'), ended: time('ended') });
    });
  });
}

describe('latch backup while the server writes, and a restore', () => {
  it('makes a consistent copy online; a Latch on the copy and the same secret serves the same keys and clients', async () => {
    const issued: Issued[] = [];
    let failures = 0;
    let loading = true;
    const load = async () => {
      while (loading) {
        const res = await tokenRequest(ts, { grant_type: 'client_credentials', scope: 'reports:read' }, m2m);
        if (res.status === 200) issued.push({ token: res.body.access_token, at: Date.now() });
        else failures += 1;
      }
    };
    const workers = Array.from({ length: 4 }, load);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const file = join(scratch, 'copy.db');
    const backup = await backupProcess(file, ts.dataDir);
    loading = false;
    await Promise.all(workers);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/Backed up .* \(\d+ bytes, integrity ok\)/);
    expect(failures).toBe(0);
    // The server kept answering (and writing) while the copy was made.
    const during = issued.filter((t) => t.at > backup.began && t.at < backup.ended);
    expect(during.length).toBeGreaterThan(0);
    const before = issued.filter((t) => t.at < backup.began);
    expect(before.length).toBeGreaterThan(0);

    const copy = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((copy.prepare('select count(*) as n from tokens').get() as { n: number }).n).toBeGreaterThanOrEqual(60_000 + before.length);
    } finally {
      copy.close();
    }

    // Restore: the copy as latch.db, with the same secret.key, in a new data directory.
    const restoredDir = join(scratch, 'restored');
    mkdirSync(restoredDir, { mode: 0o700 });
    copyFileSync(file, join(restoredDir, 'latch.db'));
    copyFileSync(join(ts.dataDir, 'secret.key'), join(restoredDir, 'secret.key'));
    const restored = await startTestServer({ dataDir: restoredDir });
    try {
      const kids = async (server: TestServer) => {
        const discovery = await getJson(`${server.issuer}/.well-known/openid-configuration`);
        const jwks = await getJson(discovery.body.jwks_uri);
        return (jwks.body.keys as Array<{ kid: string }>).map((k) => k.kid).sort();
      };
      expect(await kids(restored)).toEqual(await kids(ts));

      // The client of the original, with its secret, gets tokens from the restored server...
      const fresh = await tokenRequest(restored, { grant_type: 'client_credentials', scope: 'reports:read' }, m2m);
      expect(fresh.status, fresh.text).toBe(200);
      // ...and the tokens answered before the backup began are there.
      for (const { token } of [before[0]!, before[before.length - 1]!]) {
        const res = await introspect(restored, token, m2m);
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ active: true, client_id: m2m.clientId });
      }
    } finally {
      await restored.close();
      rmSync(restoredDir, { recursive: true, force: true });
    }
  }, 60_000);
});
