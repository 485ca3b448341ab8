/**
 * Answers are written at the end of the event-loop turn that produced them (src/runtime/turn-end.ts). Many
 * requests in flight at once, each on its own connection, must each get their own complete answer: the right
 * status, headers and body, whichever endpoint they went to.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let ts: TestServer;
let m2m: TestClient;

beforeAll(async () => {
  ts = await startTestServer();
  m2m = await ts.client({ kind: 'm2m', name: 'Concurrent', scopes: ['a', 'b', 'c'] });
});

afterAll(async () => {
  await ts?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a connection of its own (no keep-alive agent), so that all of them are in flight together. */
function send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${ts.url}${path}`, { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function tokenRequest(scope: string): Promise<Answer> {
  const basic = Buffer.from(`${encodeURIComponent(m2m.clientId)}:${encodeURIComponent(m2m.clientSecret ?? '')}`).toString('base64');
  return send('POST', '/token', new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(), {
    authorization: `Basic ${basic}`,
    'content-type': 'application/x-www-form-urlencoded',
  });
}

describe('answers written together at the end of a turn', () => {
  it('60 requests in flight on 60 connections each get their own answer', async () => {
    const scopes = ['a', 'b', 'c', 'a b', 'b c'];
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      const kind = i % 4;
      if (kind === 0) {
        jobs.push(
          send('GET', '/.well-known/openid-configuration').then((answer) => {
            expect(answer.status).toBe(200);
            expect(JSON.parse(answer.body).issuer).toBe(ts.issuer);
            expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
          }),
        );
      } else if (kind === 1) {
        jobs.push(
          send('GET', '/jwks').then((answer) => {
            expect(answer.status).toBe(200);
            expect(Array.isArray(JSON.parse(answer.body).keys)).toBe(true);
          }),
        );
      } else if (kind === 2) {
        const scope = scopes[i % scopes.length] as string;
        jobs.push(
          tokenRequest(scope).then((answer) => {
            expect(answer.status).toBe(200);
            expect(answer.headers['cache-control']).toBe('no-store');
            expect(answer.headers['x-content-type-options']).toBe('nosniff');
            expect(JSON.parse(answer.body).scope).toBe(scope);
          }),
        );
      } else {
        jobs.push(
          tokenRequest('not-registered').then((answer) => {
            expect(answer.status).toBe(400);
            expect(JSON.parse(answer.body).error).toBe('invalid_scope');
          }),
        );
      }
    }
    await Promise.all(jobs);
  });

  it('an unknown route and a HEAD request are answered too', async () => {
    const [missing, head] = await Promise.all([send('GET', '/nowhere'), send('HEAD', '/jwks')]);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toBe('not_found');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});
