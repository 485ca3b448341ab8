/**
 * The admin API's OpenAPI 3.1 document is generated from the route table, validates with a real OpenAPI
 * validator, and lists exactly the routes the server registered under /admin/api.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyPath } from '../../src/http/admin/register.js';
import { adminRoutes } from '../../src/http/admin/table.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let ts: TestServer;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let doc: any;
beforeAll(async () => {
  ts = await startTestServer();
  const res = await fetch(`${ts.url}/admin/api/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = await res.json();
});
afterAll(async () => {
  await ts?.close();
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `METHOD /path` of every route in Fastify's printRoutes tree (HEAD and OPTIONS left out). */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│   |    )*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD' && x !== 'OPTIONS')) out.push(`${method} ${path}`);
  }
  return out;
}

describe('GET /admin/api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists every route the server registered under /admin/api, and no other', () => {
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const table = adminRoutes().map((r) => `${r.method} /admin/api${r.path}`);
    expect(documented.sort()).toEqual([...table].sort());
    for (const route of adminRoutes()) {
      expect(ts.latch.app.hasRoute({ method: route.method, url: `/admin/api${fastifyPath(route.path)}` }), `${route.method} ${route.path}`).toBe(true);
    }
    // Every route the server has under /admin/api (besides the document itself) is in the table.
    const registered = registeredRoutes(ts.latch.app.printRoutes({ commonPrefix: false }))
      .filter((r) => r.startsWith('/admin/api/') || r.includes(' /admin/api/'))
      .filter((r) => r !== 'GET /admin/api/openapi.json');
    expect(registered.length).toBeGreaterThan(0);
    const tableFastify = adminRoutes().map((r) => `${r.method} /admin/api${fastifyPath(r.path)}`);
    expect(registered.sort()).toEqual([...tableFastify].sort());
  });

  it('describes each operation with its scope, strict input schemas and problem responses', () => {
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${path}`).toEqual(expect.any(String));
        expect(op.summary).toEqual(expect.any(String));
        const scope = op.security[0].latchAdmin[0];
        expect(scope).toBe(method === 'get' ? 'admin:read' : 'admin:write');
        expect(op.responses['401'].$ref).toBe('#/components/responses/Problem');
        for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
          expect(op.parameters.some((p: { name: string; in: string }) => p.name === name && p.in === 'path'), `${path} ${name}`).toBe(true);
        }
        const body = op.requestBody?.content['application/json'].schema;
        if (body) expect(body.additionalProperties, `${method} ${path}`).toBe(false);
      }
    }
    expect(doc.paths['/admin/api/clients'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit', 'q']);
    const limit = doc.paths['/admin/api/clients'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    expect(doc.components.securitySchemes.latchAdmin.flows.clientCredentials.tokenUrl).toBe(`${ts.issuer}/token`);
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });
});
