/** Admin API helpers for flow tests: tokens for urn:latch:admin (a machine's, or a person's from the store) and JSON calls. */
import { expect } from 'vitest';
import { ADMIN_API } from '../../src/admin/builtins.js';
import { issueOpaqueToken } from '../../src/core/tokens/opaque.js';
import { postForm, type HttpResult } from './oauth.js';
import type { TestClient, TestServer } from './server.js';

export const ADMIN_SCOPE = 'admin:read admin:write';

/** An m2m client with the admin scopes, and its client credentials token for urn:latch:admin. */
export async function machineAdmin(server: TestServer, scope = ADMIN_SCOPE): Promise<{ client: TestClient; token: string }> {
  const client = await server.client({ kind: 'm2m', extraScopes: scope.split(' ') });
  const res = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: ADMIN_API, scope }, client);
  expect(res.status, res.text).toBe(200);
  expect(res.body.scope).toBe(scope);
  return { client, token: res.body.access_token as string };
}

/** An admin token of a person, as the console would get (stored directly: what the token endpoint would write). */
export async function personToken(
  server: TestServer,
  sub: string,
  options: { scope?: string; audience?: string | null; ttl?: number; now?: number; clientId?: string } = {},
): Promise<string> {
  const { value } = await issueOpaqueToken(
    {
      kind: 'access_token',
      grantId: null,
      clientId: options.clientId ?? 'latch-console',
      sub,
      scope: options.scope ?? ADMIN_SCOPE,
      audience: options.audience === undefined ? ADMIN_API : options.audience,
      now: options.now ?? Math.floor(Date.now() / 1000),
      ttl: options.ttl ?? 900,
    },
    server.latch.store.tokens,
  );
  return value;
}

export type AdminCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpResult>;

/** Calls /admin/api with the token (none when null); a body is sent as JSON. */
export function adminApi(server: TestServer, token: string | null): AdminCall {
  return async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token !== null) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${server.url}/admin/api${path}`, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };
}

/** A 400 problem naming exactly these fields. */
export function expectInvalid(res: HttpResult, ...fields: string[]): void {
  expect(res.status, res.text).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 400, title: 'Invalid input' });
  expect((res.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([...fields].sort());
}
