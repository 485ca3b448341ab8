/**
 * The admin API under /admin/api: each route of the table (table.ts) is registered here, and described by the
 * OpenAPI document served at /admin/api/openapi.json. A request is authenticated (auth.ts), its scope checked,
 * then its params, query and body parsed by the route's zod schemas; any refusal is a problem document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AppContext } from '../context.js';
import { sendJson } from '../responses.js';
import { authenticateAdmin, requireScope } from './auth.js';
import { openApiDocument } from './openapi.js';
import { invalidInput, ProblemError, sendProblem, toProblem, zodFieldErrors, type FieldError } from './problem.js';
import type { AdminRoute } from './route.js';
import { adminRoutes } from './table.js';

/** `/clients/{client_id}` as Fastify writes it: `/clients/:client_id`. */
export function fastifyPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

function parsePart(schema: z.ZodType | undefined, value: unknown, errors: FieldError[]): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...zodFieldErrors(result.error));
  return undefined;
}

function isJson(request: FastifyRequest): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function handlerFor(route: AdminRoute, ctx: AppContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const now = ctx.now();
    const caller = await authenticateAdmin(request, ctx.store, now);
    requireScope(caller, route.scope);
    const errors: FieldError[] = [];
    const params = parsePart(route.params, request.params, errors);
    const query = parsePart(route.query ?? undefined, request.query, errors);
    if (!route.query && Object.keys((request.query as object | undefined) ?? {}).length > 0) {
      for (const name of Object.keys(request.query as object)) errors.push({ field: name, message: 'is not a known query parameter' });
    }
    let body: unknown;
    if (route.body) {
      const present = request.body !== undefined && request.body !== null;
      if (present && !isJson(request)) {
        throw new ProblemError({ type: 'urn:latch:problem:unsupported-media-type', title: 'Unsupported media type', status: 415, detail: 'send the body as application/json' });
      }
      body = parsePart(route.body, present ? request.body : route.bodyOptional ? {} : undefined, errors);
    } else if (request.body !== undefined && request.body !== null && !(typeof request.body === 'object' && Object.keys(request.body).length === 0)) {
      errors.push({ field: 'body', message: 'this request takes no body' });
    }
    if (errors.length > 0) throw invalidInput(errors);
    const result = await route.handler({ params, query, body, caller, ctx, now } as never);
    if (route.status === 204) return reply.header('Cache-Control', 'no-store').code(204).send();
    // The answer goes through its schema too, so that the document never promises what is not sent.
    const checked = route.response?.safeParse(result);
    if (checked && !checked.success) throw new Error(`${route.operationId}: the answer does not match its schema: ${checked.error.message}`);
    return sendJson(reply, checked ? checked.data : result, route.status ?? 200);
  };
}

export async function registerAdminApi(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const routes = adminRoutes();
  let document: string | undefined;

  app.setErrorHandler((error, request, reply) => {
    const { error: problem, internal } = toProblem(error, request.body);
    if (internal) request.log.error({ err: error }, 'admin API request failed');
    else if (problem.problem.status === 503) request.log.warn({ err: error }, 'admin API request refused: store unavailable');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new ProblemError({ type: 'urn:latch:problem:not-found', title: 'Not found', status: 404, detail: `no admin API route for ${request.method} ${request.url.split('?')[0]}` }),
    ),
  );

  app.get('/openapi.json', async (_request, reply) => {
    document ??= JSON.stringify(openApiDocument(routes, ctx.config.issuer));
    return reply.header('Cache-Control', 'no-cache').type('application/json; charset=utf-8').send(document);
  });
  for (const route of routes) {
    app.route({ method: route.method, url: fastifyPath(route.path), handler: handlerFor(route, ctx) });
  }
}
