/**
 * A client that sends its request slowly (a body of 60000 bytes, one byte at a time; or headers that never end)
 * must not hold a connection forever: after LATCH_REQUEST_TIMEOUT / LATCH_HEADERS_TIMEOUT the server answers 408
 * or closes, and serves everyone else meanwhile. Short timeouts here; the defaults are in config/schema.ts.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ requestTimeout: 2, headersTimeout: 1 });
});
afterAll(async () => {
  await ts?.close();
});

interface SlowClient {
  /** What the server sent before closing, and how long after the start it closed. */
  closed: Promise<{ received: string; afterMs: number }>;
  stop(): void;
}

/** Opens a connection, writes `head` at once, then one byte of `drip` every `everyMs`. */
function slowClient(head: string, drip: string, everyMs: number): SlowClient {
  const { hostname, port } = new URL(ts.url);
  const socket = net.connect(Number(port), hostname);
  const started = Date.now();
  let received = '';
  let sent = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  socket.on('connect', () => {
    socket.write(head);
    timer = setInterval(() => {
      if (socket.writable && sent < drip.length) socket.write(drip[sent++] as string);
    }, everyMs);
  });
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<{ received: string; afterMs: number }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, afterMs: Date.now() - started });
    });
  });
  return {
    closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('request timeouts', () => {
  it('a POST /token whose body trickles in is answered 408 and closed, while others are served', async () => {
    const host = new URL(ts.url).host;
    const slow = slowClient(
      `POST /token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n`,
      'grant_type=client_credentials&'.repeat(100),
      200,
    );
    try {
      // Served meanwhile.
      const discovery = await getJson(`${ts.issuer}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      const outcome = await Promise.race([slow.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 8000))]);
      expect(outcome, 'the server still holds the connection after 8 s').toBeDefined();
      expect(outcome!.received === '' || outcome!.received.startsWith('HTTP/1.1 408'), outcome!.received).toBe(true);
      expect(outcome!.afterMs).toBeGreaterThanOrEqual(1500);
    } finally {
      slow.stop();
    }
    expect((await getJson(`${ts.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('headers that never end are cut off after the headers timeout', async () => {
    const host = new URL(ts.url).host;
    const slow = slowClient(`GET /.well-known/openid-configuration HTTP/1.1\r\nHost: ${host}\r\n`, 'X-Slow: ' + 'a'.repeat(200), 200);
    try {
      const outcome = await Promise.race([slow.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 8000))]);
      expect(outcome, 'the server still holds the connection after 8 s').toBeDefined();
      expect(outcome!.received === '' || outcome!.received.startsWith('HTTP/1.1 408'), outcome!.received).toBe(true);
      expect(outcome!.afterMs).toBeLessThan(4000);
    } finally {
      slow.stop();
    }
    expect((await getJson(`${ts.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('a connection that never sends a byte is closed after the headers timeout', async () => {
    const silent = slowClient('', '', 1000);
    try {
      const outcome = await Promise.race([silent.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 8000))]);
      expect(outcome, 'the server still holds the connection after 8 s').toBeDefined();
      expect(outcome!.received === '' || outcome!.received.startsWith('HTTP/1.1 408'), outcome!.received).toBe(true);
      expect(outcome!.afterMs).toBeLessThan(4000);
    } finally {
      silent.stop();
    }
  });
});
