/**
 * A relying party's back-channel logout endpoint for flow tests: a real HTTP server on 127.0.0.1 that records every
 * POST and answers as told per path (200, failures before a success, a status forever, or no answer at all), and
 * the checks an RP makes on a logout token (OpenID Connect Back-Channel Logout 1.0 §2.6), with jose against the JWKS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { expect } from 'vitest';

export interface Received {
  path: string;
  contentType: string;
  token: string;
  at: number;
}

export type Behaviour = { kind: 'ok'; status?: 200 | 204 } | { kind: 'fail'; times: number; status?: number } | { kind: 'hang' };

export const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export class LogoutReceiver {
  readonly received: Received[] = [];
  readonly #behaviours = new Map<string, Behaviour>();
  readonly #failures = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();
  #server: Server | undefined;
  #base = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** The backchannel_logout_uri of one relying party, answering as `behaviour` says. */
  endpoint(name: string, behaviour: Behaviour = { kind: 'ok' }): string {
    this.#behaviours.set(`/${name}`, behaviour);
    return `${this.#base}/${name}`;
  }

  for(uri: string): Received[] {
    const path = new URL(uri).pathname;
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `uri` received `count` POSTs (or fails after `timeoutMs`). */
  async waitFor(uri: string, count = 1, timeoutMs = 10_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs;
    while (this.for(uri).length < count) {
      if (Date.now() > until) throw new Error(`${uri}: ${this.for(uri).length} of ${count} logout requests after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.for(uri);
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', this.#base).pathname;
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (req.method === 'POST') {
      this.received.push({ path, contentType: String(req.headers['content-type'] ?? ''), token: form.get('logout_token') ?? '', at: Date.now() });
    }
    const behaviour = this.#behaviours.get(path) ?? { kind: 'ok' };
    if (behaviour.kind === 'hang') {
      this.#hanging.add(res);
      return;
    }
    if (behaviour.kind === 'fail') {
      const failed = this.#failures.get(path) ?? 0;
      if (failed < behaviour.times) {
        this.#failures.set(path, failed + 1);
        res.writeHead(behaviour.status ?? 500, { 'content-type': 'application/json' }).end('{"error":"try_again"}');
        return;
      }
    }
    const status = behaviour.kind === 'ok' ? (behaviour.status ?? 200) : 200;
    res.writeHead(status, { 'cache-control': 'no-store' }).end();
  }
}

/**
 * What the RP checks (§2.6): signature against the OP's JWKS, iss, aud, iat and a short exp, typ logout+jwt, the
 * events member, sub and/or sid, and no nonce. Returns the verified claims.
 */
export async function verifyLogoutToken(issuer: string, token: string, clientId: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience: clientId, typ: 'logout+jwt' });
  expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
  expect(protectedHeader.kid).toBeTypeOf('string');
  expect(payload.aud).toBe(clientId);
  expect(payload.iat).toBeTypeOf('number');
  expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(30);
  expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
  expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(120);
  expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  expect(payload.events).toEqual({ [EVENT]: {} });
  expect(payload).not.toHaveProperty('nonce');
  expect(typeof payload.sub === 'string' || typeof payload.sid === 'string').toBe(true);
  return payload;
}
