/**
 * RFC 9126 pushed authorization requests: POST /par. The client authenticates as at the token endpoint, its
 * parameters (plain or in a request object) are read and checked exactly as /authorize would, and it gets a
 * single-use request_uri for them, stored as a digest. Errors are JSON (RFC 9126 §2.3).
 */
import type { FastifyInstance } from 'fastify';
import { newRequestUri } from '../../core/authorize/par.js';
import { markPushed, readAuthorizationRequest } from '../../core/authorize/read.js';
import { resolveRedirectTarget } from '../../core/authorize/request.js';
import { validateAuthorizationRequest } from '../../core/authorize/validate.js';
import { collectParams } from '../../core/params.js';
import { pushedRequestJkt } from '../../core/dpop/binding.js';
import { endpointPaths } from '../../core/oidc/discovery.js';
import { resolveResource } from '../../core/tokens/resource.js';
import { authorizeDeps, readDeps } from '../authorize-flow.js';
import type { AppContext } from '../context.js';
import { dpopVerifierOptions } from '../dpop.js';
import { sendJson } from '../responses.js';
import { authenticatedRequest } from './token.js';

const clientCredentialParams: ReadonlySet<string> = new Set(['client_secret', 'client_assertion', 'client_assertion_type']);

export function registerPar(app: FastifyInstance, ctx: AppContext): void {
  const endpointUrl = ctx.config.issuer + endpointPaths.pushedAuthorizationRequest;
  const dpop = dpopVerifierOptions(ctx);
  app.post(endpointPaths.pushedAuthorizationRequest, async (request, reply) => {
    // RFC 9126 §2.1: the client authenticates as it would at the token endpoint.
    const { client, params, multi, now } = await authenticatedRequest(ctx, request, endpointUrl);
    const entries: Array<[string, string]> = [];
    for (const [name, value] of params) {
      // The client's credentials authenticated this request; they are not part of it (and never stored).
      if (clientCredentialParams.has(name)) continue;
      for (const one of multi.get(name) ?? [value]) entries.push([name, one]);
    }
    // The authenticated client is the request's client (RFC 9126 §2.1: client_id as in the authorization request).
    if (!params.has('client_id')) entries.push(['client_id', client.clientId]);
    const outer = collectParams(entries);

    const pushed = markPushed(await readAuthorizationRequest(outer, readDeps(ctx), 'par'));
    const target = await resolveRedirectTarget(pushed, ctx.store.clients);
    const deps = authorizeDeps(ctx);
    const authz = validateAuthorizationRequest(pushed, target, deps.policy);
    // RFC 8707: an unknown API or a scope it does not define is refused here already, as /authorize would.
    await resolveResource({ client, resource: authz.resource, scopes: authz.scopes, mode: 'reject' }, ctx.store.apis);

    // RFC 9449 §10.1: a DPoP proof at /par binds the code to its key, like dpop_jkt (and must name the same key).
    const jkt = await pushedRequestJkt(request.headers.dpop, authz.params.dpop_jkt, { url: endpointUrl, now }, dpop);
    if (jkt !== undefined) authz.params.dpop_jkt = jkt;
    if (request.headers.dpop !== undefined && dpop.nonces) reply.header('DPoP-Nonce', dpop.nonces.current(now));

    const { requestUri, digest } = newRequestUri();
    await ctx.store.pushedRequests.create({ digest, clientId: client.clientId, params: authz.params, createdAt: now, expiresAt: now + ctx.config.parTtl });
    // RFC 9126 §2.2: 201 Created with request_uri and expires_in.
    return sendJson(reply, { request_uri: requestUri, expires_in: ctx.config.parTtl }, 201);
  });
}
