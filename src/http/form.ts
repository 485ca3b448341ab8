import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequest } from '../core/errors.js';
import { collectParams, type ParsedParams } from '../core/params.js';

/** Form bodies are parsed into URLSearchParams so that duplicate parameters stay visible (RFC 6749 §3.1). */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65536 }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
}

export function queryParams(request: FastifyRequest): ParsedParams {
  const q = request.url.indexOf('?');
  return collectParams(q < 0 ? [] : new URLSearchParams(request.url.slice(q + 1)));
}

export function bodyParams(request: FastifyRequest): ParsedParams {
  if (request.body === undefined || request.body === null) return collectParams([]);
  if (!(request.body instanceof URLSearchParams)) {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  return collectParams(request.body);
}

/** RFC 6749 §3.2: the token endpoint (and its siblings) take POST with a form body. */
export function requireForm(request: FastifyRequest): void {
  const type = request.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new InvalidRequest('the request must be a POST with Content-Type application/x-www-form-urlencoded');
  }
}

/** GET parameters from the query, POST parameters from the form body. */
export function requestParams(request: FastifyRequest): ParsedParams {
  return request.method === 'POST' ? bodyParams(request) : queryParams(request);
}
