// `npm run demo`: a printing service prints your photos, the classic OAuth story.
//
// Starts Latch (embedded SQLite in a temporary directory), the photos API (a resource server) and the print shop
// (a web app), registers a person and both applications, and prints what to open and how to sign in.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { startPhotosApi } from './photos-api.mjs';
import { startPrintShop } from './print-shop.mjs';

export const DEMO_EMAIL = 'ada@example.com';
export const DEMO_PASSWORD = 'print-my-photos';
export const PHOTOS_API = 'https://photos.example';

/**
 * Starts the three parts and registers what they need. `latch` holds Latch's own modules (from dist/ for
 * `npm run demo`, from src/ in the test), so that both run this same code; its `createUser(store, input)` has the
 * password policy bound.
 *
 * @param {{ loadConfig: Function, startServer: Function, createUser: Function, createClient: Function, createApi: Function, listGrants: Function, revokeGrant: Function }} latch
 * @param {{ dataDir: string, latchPort: number, photosPort: number, shopPort: number, host?: string, logLevel?: string }} options
 */
export async function startDemo(latch, { dataDir, latchPort, photosPort, shopPort, host = 'localhost', logLevel = 'warn' }) {
  const issuer = `http://localhost:${latchPort}`;
  const config = latch.loadConfig({}, { port: latchPort, host, issuer, dataDir, logLevel, metricsAddress: 'off' });
  const server = await latch.startServer(config);
  const parts = [server];
  try {
    const { store } = server;
    const user = await latch.createUser(store, { email: DEMO_EMAIL, name: 'Ada Lovelace', password: DEMO_PASSWORD, emailVerified: true });

    // The photos API, registered as an API (resource) that prefers opaque tokens: it asks Latch about every
    // token, so revoking access takes effect at once. It introspects as a machine-to-machine client of its own,
    // which the API allows to introspect its tokens (no other client learns anything about them).
    const introspector = await latch.createClient(store, { name: 'Photos API', kind: 'm2m', clientId: 'photos-api' });
    await latch.createApi(store, {
      identifier: PHOTOS_API,
      name: 'Photos',
      scopes: ['read:photos', 'write:photos'],
      tokenFormat: 'opaque',
      introspectionClients: [introspector.client.clientId],
    });

    // The print shop: a server-side web app (confidential client) that may ask for read:photos, nothing more.
    const shop = await latch.createClient(store, {
      name: 'Print shop',
      kind: 'web',
      clientId: 'print-shop',
      redirectUris: [`http://localhost:${shopPort}/callback`],
      scopes: ['openid read:photos'],
    });

    const photos = await startPhotosApi({
      issuer,
      audience: PHOTOS_API,
      introspection: { clientId: introspector.client.clientId, clientSecret: introspector.clientSecret },
      port: photosPort,
      host,
    });
    parts.push(photos);
    const printShop = await startPrintShop({
      issuer,
      clientId: shop.client.clientId,
      clientSecret: shop.clientSecret,
      photosApi: `http://localhost:${photosPort}`,
      resource: PHOTOS_API,
      port: shopPort,
      host,
    });
    parts.push(printShop);

    return {
      issuer,
      user,
      latch: server,
      printShopUrl: printShop.url,
      photosApiUrl: `http://localhost:${photosPort}`,
      /** What "revoking the grant in Latch" does: every grant Ada gave the print shop, and its tokens, revoked. */
      async revokePrintShopAccess() {
        const views = await latch.listGrants(store, DEMO_EMAIL);
        const active = views.filter(({ grant }) => grant.clientId === shop.client.clientId && grant.revokedAt === null);
        for (const { grant } of active) await latch.revokeGrant(store, grant.grantId);
        return active.length;
      },
      async close() {
        for (const part of parts.reverse()) await part.close();
      },
    };
  } catch (err) {
    for (const part of parts.reverse()) await part.close();
    throw err;
  }
}

async function main() {
  const dist = new URL('../../dist/', import.meta.url);
  const load = (path) => import(new URL(path, dist).href);
  const [{ loadConfig }, { startServer }, { createUser }, { createClient }, { createApi }, { listGrants, revokeGrant }, { loadPasswordPolicy }] = await Promise.all([
    load('config/load.js'),
    load('http/server.js'),
    load('admin/users.js'),
    load('admin/clients.js'),
    load('admin/apis.js'),
    load('admin/grants.js'),
    load('core/accounts/password-policy.js'),
  ]);
  const passwords = loadPasswordPolicy();
  const basePort = Number(process.env.DEMO_PORT ?? 4000);
  const dataDir = await mkdtemp(join(tmpdir(), 'latch-demo-'));
  const demo = await startDemo(
    { loadConfig, startServer, createUser: (store, input) => createUser(store, passwords, input), createClient, createApi, listGrants, revokeGrant },
    { dataDir, latchPort: basePort, photosPort: basePort + 1, shopPort: basePort + 2 },
  );
  const latchCli = `LATCH_DATA_DIR=${dataDir} npx latch`;
  console.log(`
Latch demo: a printing service prints your photos

  1. Open the print shop:     ${demo.printShopUrl}
  2. Choose "Import my photos" and sign in at Latch as
       email:     ${DEMO_EMAIL}
       password:  ${DEMO_PASSWORD}
     then allow the print shop to read your photos (read:photos).
  3. Your photos appear, fetched from the photos API with the access token.
  4. Take the permission back: type "revoke" here and press Enter (or use the latch command:
       ${latchCli} grants list --user ${DEMO_EMAIL}
       ${latchCli} grants revoke <grant_id>)
     then press "Refresh photos" in the print shop.

  Latch (authorization server)   ${demo.issuer}
  Photos API (resource server)   ${demo.photosApiUrl}  (identifier ${PHOTOS_API})
  Data (deleted on exit)         ${dataDir}

Press Ctrl+C to stop.
`);

  const input = createInterface({ input: process.stdin });
  input.on('line', async (line) => {
    if (line.trim() !== 'revoke') return;
    const count = await demo.revokePrintShopAccess();
    console.log(count > 0 ? `Revoked the print shop's access (${count} grant${count > 1 ? 's' : ''}). Press "Refresh photos".` : 'The print shop has no access to revoke.');
  });
  const stop = async () => {
    input.close();
    await demo.close();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
