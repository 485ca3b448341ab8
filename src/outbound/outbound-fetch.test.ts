import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddressPolicy } from './address-policy.js';
import { OutboundFetchError, outboundFetch, type OutboundFetchOptions } from './outbound-fetch.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let port: number;
const routes = new Map<string, Handler>();
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  routes.set('/ok', (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
  routes.set('/redirect', (_req, res) => void res.writeHead(302, { location: '/ok' }).end());
  routes.set('/to-metadata', (_req, res) => void res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end());
  routes.set('/to-localhost', (_req, res) => void res.writeHead(302, { location: `https://localhost:${port}/ok` }).end());
  for (let i = 0; i < 5; i++) routes.set(`/chain${i}`, (_req, res) => void res.writeHead(302, { location: `/chain${i + 1}` }).end());
  routes.set('/chain5', (_req, res) => void res.writeHead(200).end('end of chain'));
  routes.set('/slow', (_req, res) => void setTimeout(() => res.writeHead(200).end('late'), 1500));
  routes.set('/big', (_req, res) => void res.writeHead(200, { 'content-length': String(2048) }).end(Buffer.alloc(2048)));
  routes.set('/chunked-big', (_req, res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write(Buffer.alloc(256)), 5);
    res.on('close', () => clearInterval(timer));
  });
  routes.set('/echo-auth', (req, res) => void res.writeHead(200).end(req.headers.authorization ?? '(none)'));
  routes.set('/teapot', (_req, res) => void res.writeHead(418).end('no'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function refusal(url: string, options: OutboundFetchOptions = {}): Promise<OutboundFetchError> {
  const error = await outboundFetch(url, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(OutboundFetchError);
  return error as OutboundFetchError;
}

describe('outboundFetch', () => {
  it('with allowPrivate, fetches from a loopback server (and follows a redirect)', async () => {
    const answer = await outboundFetch(`${base}/ok`, { allowPrivate: true });
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('hello');
    expect(answer.headers['content-type']).toBe('text/plain');
    const redirected = await outboundFetch(`${base}/redirect`, { allowPrivate: true });
    expect(redirected.url).toBe(`${base}/ok`);
    expect(redirected.body.toString()).toBe('hello');
  });

  it('refuses http without allowPrivate, before connecting', async () => {
    hits.length = 0;
    expect((await refusal(`${base}/ok`)).reason).toBe('scheme');
    expect((await refusal(`http://localhost:${port}/ok`)).reason).toBe('scheme');
    expect(hits).toEqual([]);
  });

  it('refuses http to a host that is not loopback even with allowPrivate, and other schemes', async () => {
    expect((await refusal('http://example.com/', { allowPrivate: true })).reason).toBe('scheme');
    expect((await refusal('file:///etc/passwd', { allowPrivate: true })).reason).toBe('scheme');
    expect((await refusal('not a url')).reason).toBe('scheme');
  });

  it.each([
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://10.0.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fc00::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://localhost/',
  ])('refuses %s without allowPrivate (address)', async (url) => {
    const error = await refusal(url);
    expect(error.reason).toBe('address');
    expect(error.message).toMatch(/is not a public address/);
  });

  it('refuses a redirect to a private address at the hop', async () => {
    // The loopback test origin is allowed by name; every other address keeps the public-only rule.
    const publicOnly = createAddressPolicy();
    const policy = { allowPrivate: true, addressPolicy: (a: string) => a === '127.0.0.1' || publicOnly(a) };
    expect((await outboundFetch(`${base}/redirect`, policy)).body.toString()).toBe('hello');
    hits.length = 0;
    const metadata = await refusal(`${base}/to-metadata`, policy);
    expect(metadata.reason).toBe('address');
    expect(metadata.message).toContain('https://169.254.169.254');
    expect(hits).toEqual(['/to-metadata']);
    // The same redirect is followed (and then fails to connect) when the address rule is lifted.
    expect((await refusal(`${base}/to-metadata`, { allowPrivate: true, timeoutMs: 300 })).reason).not.toBe('address');
  });

  it('a redirect is checked for its scheme at the hop', async () => {
    routes.set('/to-http-away', (_req, res) => void res.writeHead(302, { location: 'http://example.com/' }).end());
    expect((await refusal(`${base}/to-http-away`, { allowPrivate: true })).reason).toBe('scheme');
  });

  it('more than maxRedirects redirects are refused', async () => {
    hits.length = 0;
    const error = await refusal(`${base}/chain0`, { allowPrivate: true });
    expect(error.reason).toBe('redirects');
    expect(hits).toEqual(['/chain0', '/chain1', '/chain2', '/chain3']);
    expect((await outboundFetch(`${base}/chain2`, { allowPrivate: true })).body.toString()).toBe('end of chain');
  });

  it('a slow server hits the timeout', async () => {
    const started = Date.now();
    const error = await refusal(`${base}/slow`, { allowPrivate: true, timeoutMs: 200 });
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an oversized body is cut at the limit, with and without Content-Length', async () => {
    expect((await refusal(`${base}/big`, { allowPrivate: true, maxBytes: 1024 })).reason).toBe('too_large');
    const started = Date.now();
    const error = await refusal(`${base}/chunked-big`, { allowPrivate: true, maxBytes: 1024, timeoutMs: 3000 });
    expect(error.reason).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await outboundFetch(`${base}/big`, { allowPrivate: true, maxBytes: 2048 })).body.byteLength).toBe(2048);
  });

  it('connects to the address it checked, not to what the resolver says later', async () => {
    // The system resolver says localhost is 127.0.0.1 (or ::1); the checked answer is 127.0.0.2, where alone a server
    // listens: the fetch reaches it only if the connection uses the checked address.
    const other = createServer((_req, res) => void res.writeHead(200).end('pinned'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.2', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    try {
      let asked = 0;
      const resolve = async () => (asked++, [{ address: '127.0.0.2', family: 4 }]);
      const answer = await outboundFetch(`http://localhost:${otherPort}/`, { allowPrivate: true, resolve });
      expect(answer.body.toString()).toBe('pinned');
      expect(asked).toBe(1);
      // The checked answer is what the address rule sees, for host names too.
      const refused = await refusal('https://upstream.example/', { resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }] });
      expect(refused.reason).toBe('address');
      expect(refused.message).toContain('10.0.0.7');
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('sends Authorization on a same-origin redirect only', async () => {
    routes.set('/to-echo', (_req, res) => void res.writeHead(302, { location: '/echo-auth' }).end());
    routes.set('/to-echo-elsewhere', (_req, res) => void res.writeHead(302, { location: `http://localhost:${port}/echo-auth` }).end());
    const headers = { authorization: 'Bearer secret-token' };
    expect((await outboundFetch(`${base}/to-echo`, { allowPrivate: true, headers })).body.toString()).toBe('Bearer secret-token');
    const elsewhere = await outboundFetch(`${base}/to-echo-elsewhere`, { allowPrivate: true, headers, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(elsewhere.body.toString()).toBe('(none)');
  });

  it('a status outside acceptStatus is reason status', async () => {
    const error = await refusal(`${base}/teapot`, { allowPrivate: true });
    expect(error.reason).toBe('status');
    expect(error.status).toBe(418);
    expect((await outboundFetch(`${base}/teapot`, { allowPrivate: true, acceptStatus: () => true })).body.toString()).toBe('no');
  });

  it('names the origin in its messages, never credentials, path or query', async () => {
    const error = await refusal('https://user:hunter2@10.0.0.1/path?token=secret');
    expect(error.message).toContain('https://10.0.0.1');
    expect(error.message).not.toMatch(/hunter2|user|secret|path/);
    const address = await refusal('https://10.0.0.1/path?token=secret');
    expect(address.reason).toBe('address');
    expect(address.message).not.toMatch(/secret|path/);
  });

  it('a refused connection is reason network', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await refusal(`http://127.0.0.1:${closedPort}/`, { allowPrivate: true })).reason).toBe('network');
  });
});
