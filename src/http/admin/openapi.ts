/**
 * The OpenAPI 3.1 document of the admin API, generated from the route table: the same zod schemas that validate
 * each request (z.toJSONSchema, JSON Schema 2020-12, which OpenAPI 3.1 uses as its dialect) describe it.
 */
import { z } from 'zod';
import { ADMIN_API, ADMIN_READ, ADMIN_WRITE } from '../../admin/builtins.js';
import { problemSchema } from './problem.js';
import type { AdminRoute } from './route.js';

export const ADMIN_PREFIX = '/admin/api';
type JsonSchema = Record<string, unknown>;

/** Inlined schemas: no `$schema`, no `$defs` (a reference would point into the document's root). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...out } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  return out;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries((object.properties as Record<string, JsonSchema> | undefined) ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    const parameter: JsonSchema = { name, in: where, required: where === 'path' || required.has(name), schema: rest };
    if (typeof description === 'string') parameter.description = description;
    return parameter;
  });
}

const problem = { $ref: '#/components/responses/Problem' };

function operation(route: AdminRoute): JsonSchema {
  const status = route.status ?? 200;
  const responses: JsonSchema = {};
  responses[String(status)] = route.response
    ? { description: route.summary, content: { 'application/json': { schema: jsonSchema(route.response, 'output') } } }
    : { description: route.summary };
  for (const code of ['400', '401', '403']) responses[code] = problem;
  if (route.params) responses['404'] = problem;
  if (route.method !== 'GET') responses['409'] = problem;
  responses['503'] = problem;
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: [{ latchAdmin: [route.scope] }],
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    responses,
  };
  if (route.description !== undefined) op.description = route.description;
  if (route.body) {
    op.requestBody = { required: !route.bodyOptional, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } };
  }
  return op;
}

export function openApiDocument(routes: readonly AdminRoute[], issuer: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = `${ADMIN_PREFIX}${route.path}`;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const scopes = { [ADMIN_READ]: 'Read every setting, application and person', [ADMIN_WRITE]: 'Change them' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latch admin API',
      version: '1',
      description:
        `Manage this Latch: clients, people, APIs, grants, sessions, signing keys, events and branding. Call it with an access token ` +
        `for the API ${ADMIN_API} (token request: resource=${ADMIN_API}) with scope ${ADMIN_READ} for reads and ${ADMIN_WRITE} for changes. ` +
        'Errors are RFC 9457 problem details naming each wrong field.',
    },
    servers: [{ url: issuer }],
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
      responses: {
        Problem: {
          description: 'RFC 9457 problem details (401 and 403 carry an RFC 6750 WWW-Authenticate challenge; 503 a Retry-After)',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
      securitySchemes: {
        latchAdmin: {
          type: 'oauth2',
          description: `An access token for ${ADMIN_API} (RFC 8707 resource indicator), sent as Authorization: Bearer`,
          flows: {
            clientCredentials: { tokenUrl: `${issuer}/token`, scopes },
            authorizationCode: { authorizationUrl: `${issuer}/authorize`, tokenUrl: `${issuer}/token`, scopes },
          },
        },
      },
    },
  };
}
