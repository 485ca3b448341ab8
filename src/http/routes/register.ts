/**
 * Dynamic client registration over HTTP: POST /register (RFC 7591 §3) and GET, PUT, DELETE at the
 * registration_client_uri /register/:client_id (RFC 7592 §2). The work is in admin/registration.ts; here only the
 * bearer token, the JSON body and the statuses. Not served at all while LATCH_REGISTRATION is off.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deleteRegistration, readRegistration, registerClient, replaceRegistration, type RegistrationOptions } from '../../admin/registration.js';
import { OAuthError } from '../../core/errors.js';
import { registrationEnabled, registrationPath } from '../../core/registration/endpoint.js';
import type { AppContext } from '../context.js';
import { noStore, sendJson } from '../responses.js';

/** RFC 6750 §2.1: the bearer value of the Authorization header, if there is one. */
function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  if (!match?.[1]) {
    throw new OAuthError('invalid_request', 'the Authorization header is not "Bearer <token>"', { status: 400, headers: { 'WWW-Authenticate': 'Bearer realm="latch", error="invalid_request"' } });
  }
  return match[1];
}

/** RFC 7591 §3.1: the metadata is a JSON object sent as application/json. */
function jsonBody(request: FastifyRequest): unknown {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new OAuthError('invalid_client_metadata', 'send the client metadata as a JSON object (Content-Type: application/json)');
  return request.body;
}

/** Open registration: at most this many registration attempts per address and hour (token mode is gated by its tokens). */
const OPEN_REGISTRATIONS_PER_HOUR = 100;
const HOUR = 3600;

export function registerRegistration(app: FastifyInstance, ctx: AppContext): void {
  const mode = ctx.config.registration;
  if (!registrationEnabled(ctx.config) || mode === 'off') return;
  const options = (request: FastifyRequest): RegistrationOptions => ({
    issuer: ctx.config.issuer,
    mode,
    policy: { allowPrivate: ctx.config.fetchAllowPrivate },
    address: request.ip,
  });
  const clientIdOf = (request: FastifyRequest) => (request.params as { clientId: string }).clientId;

  app.post(registrationPath, async (request, reply) => {
    const token = bearer(request);
    if (mode === 'open') {
      const now = ctx.now();
      const hits = await ctx.store.rateLimits.hit(`register:${request.ip}`, HOUR, now);
      if (hits > OPEN_REGISTRATIONS_PER_HOUR) {
        const retryAfter = String(HOUR - (now % HOUR));
        throw new OAuthError('temporarily_unavailable', 'too many registrations from this address; try again later', { status: 429, headers: { 'Retry-After': retryAfter } });
      }
    }
    return sendJson(reply, await registerClient(ctx.store, jsonBody(request), token, options(request), ctx.now()), 201);
  });
  app.get(`${registrationPath}/:clientId`, async (request, reply) =>
    sendJson(reply, await readRegistration(ctx.store, clientIdOf(request), bearer(request), ctx.config.issuer)),
  );
  app.put(`${registrationPath}/:clientId`, async (request, reply) => {
    const token = bearer(request);
    return sendJson(reply, await replaceRegistration(ctx.store, clientIdOf(request), token, jsonBody(request), options(request), ctx.now()));
  });
  app.delete(`${registrationPath}/:clientId`, async (request, reply) => {
    await deleteRegistration(ctx.store, clientIdOf(request), bearer(request), request.ip, ctx.now());
    // RFC 7592 §2.3: "the authorization server responds with an HTTP 204 No Content message".
    return noStore(reply).code(204).send();
  });
}
