import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, type ImageServer, solidPng, startImageServer } from '../../test/helpers/images.js';
import { createLogoCache, fetchImage, sniffImageType } from './logo-cache.js';

const png = solidPng(8, [200, 40, 0]);
const limits = { maxBytes: 256 * 1024, timeoutMs: 3000, maxRedirects: 3, allowPrivate: true };

describe('sniffImageType', () => {
  it('knows PNG, JPEG, GIF and WebP by their magic numbers, and nothing else', () => {
    expect(sniffImageType(png)).toBe('image/png');
    expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('GIF89a....'))).toBe('image/gif');
    expect(sniffImageType(Buffer.from('GIF87a....'))).toBe('image/gif');
    expect(sniffImageType(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('<html>'))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('fetchImage and the logo cache, against a real server', () => {
  let server: ImageServer;

  beforeAll(async () => {
    server = await startImageServer();
    server.route('/logo.png', image(png));
    server.route('/big.png', image(Buffer.concat([png, Buffer.alloc(300 * 1024)])));
    server.route('/chunked-big.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(png);
      for (let i = 0; i < 40; i++) res.write(Buffer.alloc(16 * 1024));
      res.end();
    });
    server.route('/page.html', image(Buffer.from('<html><script>alert(1)</script></html>'), 'text/html'));
    server.route('/lying.png', image(Buffer.from('<svg onload="alert(1)"/>'), 'image/png'));
    server.route('/svg', image(Buffer.from('<svg/>'), 'image/svg+xml'));
    server.route('/gone', (_req, res) => void res.writeHead(404).end());
    server.route('/redirect', (_req, res) => void res.writeHead(302, { location: '/logo.png' }).end());
    server.route('/redirect-away', (_req, res) => void res.writeHead(302, { location: 'http://example.com/logo.png' }).end());
    server.route('/loop', (_req, res) => void res.writeHead(302, { location: '/loop' }).end());
    server.route('/slow', (_req, res) => void setTimeout(() => image(png)(_req, res), 1500));
  });

  afterAll(async () => {
    await server?.close();
  });

  it('fetches a PNG and tags it', async () => {
    const copy = await fetchImage(`${server.url}/logo.png`, limits);
    expect(copy.contentType).toBe('image/png');
    expect(copy.body.equals(png)).toBe(true);
    expect(copy.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect((await fetchImage(`${server.url}/redirect`, limits)).body.equals(png)).toBe(true);
  });

  it.each([
    ['/big.png', /larger than/],
    ['/chunked-big.png', /larger than/],
    ['/page.html', /Content-Type text\/html/],
    ['/lying.png', /not an image/],
    ['/svg', /image\/svg\+xml/],
    ['/gone', /status 404/],
    ['/redirect-away', /not an https/],
    ['/loop', /too many redirects/],
  ])('refuses %s', async (path, reason) => {
    await expect(fetchImage(`${server.url}${path}`, limits)).rejects.toThrow(reason);
  });

  it('gives up after the timeout', async () => {
    await expect(fetchImage(`${server.url}/slow`, { ...limits, timeoutMs: 200 })).rejects.toThrow(/no answer within 200 ms/);
  });

  it('without allowPrivate, fetches nothing from loopback or private addresses', async () => {
    server.hits.clear();
    const failures: string[] = [];
    const cache = createLogoCache({ onFailure: (_url, reason) => failures.push(reason) });
    expect(await cache.get(`${server.url}/logo.png`)).toBeUndefined();
    expect(server.hits.get('/logo.png') ?? 0).toBe(0);
    expect(failures[0]).toMatch(/not an https/);
    const strict = { ...limits, allowPrivate: false };
    await expect(fetchImage(`${server.url}/logo.png`, strict)).rejects.toThrow(/not an https/);
    await expect(fetchImage('https://127.0.0.1/logo.png', strict)).rejects.toThrow(/not a public address/);
    await expect(fetchImage('https://localhost/logo.png', strict)).rejects.toThrow(/not a public address/);
    await expect(fetchImage('https://169.254.169.254/logo.png', strict)).rejects.toThrow(/not a public address/);
    expect(server.hits.size).toBe(0);
  });

  it('refuses URLs that are not https or loopback http without asking anyone', async () => {
    await expect(fetchImage('http://example.com/logo.png', limits)).rejects.toThrow(/not an https/);
    await expect(fetchImage('file:///etc/passwd', limits)).rejects.toThrow(/not an https/);
  });

  it('caches copies and failures, one fetch for concurrent asks, and refetches after the TTL', async () => {
    let clock = 0;
    const failures: string[] = [];
    const cache = createLogoCache({ allowPrivate: true, now: () => clock, ttlMs: 1000, failureTtlMs: 100, onFailure: (url, reason) => failures.push(reason) });
    server.hits.clear();
    const [a, b] = await Promise.all([cache.get(`${server.url}/logo.png`), cache.get(`${server.url}/logo.png`)]);
    expect(a?.body.equals(png)).toBe(true);
    expect(b).toBe(a);
    expect(server.hits.get('/logo.png')).toBe(1);
    clock = 999;
    await cache.get(`${server.url}/logo.png`);
    expect(server.hits.get('/logo.png')).toBe(1);
    clock = 1001;
    await cache.get(`${server.url}/logo.png`);
    expect(server.hits.get('/logo.png')).toBe(2);

    expect(await cache.get(`${server.url}/page.html`)).toBeUndefined();
    expect(await cache.get(`${server.url}/page.html`)).toBeUndefined();
    expect(server.hits.get('/page.html')).toBe(1);
    expect(failures).toHaveLength(1);
    clock += 101;
    await cache.get(`${server.url}/page.html`);
    expect(server.hits.get('/page.html')).toBe(2);
    expect(await cache.get('ftp://x/y.png')).toBeUndefined();
  });

  it('keeps at most maxEntries copies, dropping the least recently used', async () => {
    const cache = createLogoCache({ allowPrivate: true, maxEntries: 2 });
    server.hits.clear();
    for (const q of ['a', 'b', 'a', 'c', 'a', 'b']) await cache.get(`${server.url}/logo.png?${q}`);
    // a, b fetched; a reused; c evicts b; a reused; b fetched again.
    expect(server.hits.get('/logo.png')).toBe(4);
  });

  it('instances are independent', async () => {
    server.hits.clear();
    await createLogoCache({ allowPrivate: true }).get(`${server.url}/logo.png#1`);
    await createLogoCache({ allowPrivate: true }).get(`${server.url}/logo.png#1`);
    expect(server.hits.get('/logo.png')).toBe(2);
  });
});
