import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateClient } from '../../core/client-auth/authenticate.js';
import type { GrantDeps } from '../../core/grants/types.js';
import { endpointPaths, endpointUrls } from '../../core/oidc/discovery.js';
import { rejectDuplicates } from '../../core/params.js';
import { grants } from '../../core/grants/registry.js';
import { handleTokenRequest } from '../../core/token-endpoint.js';
import { FAPI2_ALGS, isFapi2, profiledClients } from '../../core/fapi/profile.js';
import { introspect } from '../../core/tokens/introspect.js';
import { tokenRequestProof } from '../../core/dpop/binding.js';
import { requestedResource } from '../../core/tokens/resource.js';
import { revoke } from '../../core/tokens/revoke.js';
import { isOAuthError } from '../../core/errors.js';
import { recordEvent } from '../../observability/events.js';
import type { ClientRecord } from '../../storage/types.js';
import type { AppContext } from '../context.js';
import { dpopVerifierOptions } from '../dpop.js';
import { bodyParams, requireForm } from '../form.js';
import { answering, noStore, sendJson } from '../responses.js';
import { rehashFailureReporter, throttleDeps, throttleLimits } from '../throttle.js';

/**
 * Parses the form body and authenticates the client, as the token, introspection and revocation endpoints all do.
 * What does not depend on the request (the profiled client lookup, the throttle's limits, the accepted assertion
 * audiences) is made once, when the endpoint is registered.
 */
export function authenticatingRequests(ctx: AppContext) {
  // The FAPI 2.0 profile's implied metadata, for every check of the request (core/fapi/profile.ts).
  const clients = profiledClients(ctx.store.clients, ctx.config);
  const limits = throttleLimits(ctx.config);
  const tokenUrl = ctx.config.issuer + endpointPaths.token;
  const audiences = new Map<string, string[]>();
  return async (request: FastifyRequest, endpointUrl: string) => {
    requireForm(request);
    const parsed = bodyParams(request);
    rejectDuplicates(parsed);
    const now = ctx.now();
    let assertionAudiences = audiences.get(endpointUrl);
    if (assertionAudiences === undefined) audiences.set(endpointUrl, (assertionAudiences = [endpointUrl, tokenUrl]));
    const client: ClientRecord = await authenticateClient(
      { authorization: request.headers.authorization, params: parsed.params, endpointUrl, address: request.ip },
      {
        clients,
        throttle: throttleDeps(ctx.store.rateLimits, limits, request.log),
        replay: ctx.store.replay,
        issuer: ctx.config.issuer,
        assertionAudiences,
        ...(ctx.clientKeys && { clientKeys: ctx.clientKeys }),
        now,
      },
    );
    request.clientId = client.clientId;
    return { client, params: parsed.params, multi: parsed.multi, now };
  };
}

/** authenticatingRequests for one request (endpoints off the hot path). */
export function authenticatedRequest(ctx: AppContext, request: FastifyRequest, endpointUrl: string) {
  return authenticatingRequests(ctx)(request, endpointUrl);
}

/**
 * RFC 8628 §3.5: a device told to keep polling has not failed; recording every poll would drown the audit trail.
 * RFC 9449 §8: nor has a client told to use a DPoP nonce (the first request of every client, with nonces on).
 */
const notFailures: ReadonlySet<string> = new Set(['authorization_pending', 'slow_down', 'use_dpop_nonce']);

/** A refused token request, for the audit trail: the client (authenticated, or only claimed), the grant type, the error. */
async function recordTokenFailure(ctx: AppContext, request: FastifyRequest, client: ClientRecord | undefined, err: unknown): Promise<void> {
  if (!isOAuthError(err) || notFailures.has(err.code)) return;
  const form = request.body instanceof URLSearchParams ? request.body : undefined;
  const claimed = form?.get('client_id')?.slice(0, 128) ?? null;
  await recordEvent(
    ctx.store,
    {
      type: 'token.failed',
      by: { sub: null, clientId: client?.clientId ?? null, address: request.ip },
      clientId: client?.clientId ?? null,
      data: {
        grant_type: form?.get('grant_type')?.slice(0, 128) ?? null,
        error: err.code,
        ...(client === undefined && claimed !== null ? { claimed_client_id: claimed } : {}),
      },
    },
    ctx.now(),
    request.log,
  );
}

export function registerTokenEndpoints(app: FastifyInstance, ctx: AppContext): void {
  const urls = endpointUrls(ctx.config.issuer);
  const grantDeps: GrantDeps = {
    store: ctx.store,
    keys: ctx.keys,
    policy: {
      issuer: ctx.config.issuer,
      accessTokenTtl: ctx.config.accessTokenTtl,
      idTokenTtl: ctx.config.idTokenTtl,
      refreshTokenTtl: ctx.config.refreshTokenTtl,
      pairwiseSalt: ctx.pairwiseSalt,
    },
    settings: ctx.config,
    throttle: throttleDeps(ctx.store.rateLimits, throttleLimits(ctx.config), app.log, ctx.passwordTurns),
    reportRehashFailure: rehashFailureReporter(app.log),
    refreshReuse: { interval: ctx.config.refreshReuseInterval, successorKey: ctx.refreshSuccessorKey },
  };

  const dpop = dpopVerifierOptions(ctx);
  const authenticatedRequest = authenticatingRequests(ctx);

  app.post('/token', { config: { cors: 'client' } }, answering(async (request, reply) => {
    let client: ClientRecord | undefined;
    try {
      const authenticated = await authenticatedRequest(request, urls.token);
      client = authenticated.client;
      const { params, multi, now } = authenticated;
      // RFC 8707 §2: one resource per token request (Latch issues one audience per access token), for the grants that
      // read one; the others ignore it like any parameter they do not declare (RFC 6749 §3.1).
      if (grants.get(params.get('grant_type') ?? '')?.parameters.includes('resource')) requestedResource(multi.get('resource'));
      // RFC 9449 §5: a DPoP proof binds the tokens to its key; without the header nothing more runs.
      // FAPI 2.0 §5.4.1: a client under the profile signs its proofs with PS256, ES256 or EdDSA only.
      const proof = await tokenRequestProof(request.headers.dpop, { url: urls.token, now }, isFapi2(client) ? { ...dpop, algorithms: FAPI2_ALGS } : dpop);
      const response = await handleTokenRequest(client, params, now, grantDeps, request.ip, grants, proof);
      // RFC 9449 §8: a fresh nonce with each answer to a DPoP request, for the client's next proof.
      if (proof && dpop.nonces) reply.header('DPoP-Nonce', dpop.nonces.current(now));
      request.log.info({ event: 'token.issued', client_id: client.clientId, grant_type: params.get('grant_type') }, 'token issued');
      ctx.metrics?.tokenIssued(params.get('grant_type') ?? '', client.metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential');
      // Not returned: the reply is a thenable, and awaiting it is what answering() avoids.
      sendJson(reply, response);
    } catch (err) {
      ctx.metrics?.tokenFailed(isOAuthError(err) ? err.code : 'server_error');
      await recordTokenFailure(ctx, request, client, err);
      throw err;
    }
  }));

  app.post('/introspect', answering(async (request, reply) => {
    const { client, params, now } = await authenticatedRequest(request, urls.introspection);
    const response = await introspect(client, params, { store: ctx.store, issuer: ctx.config.issuer, now, pairwiseSalt: ctx.pairwiseSalt });
    sendJson(reply, response);
  }));

  app.post('/revoke', { config: { cors: 'client' } }, async (request, reply) => {
    const { client, params, now } = await authenticatedRequest(request, urls.revocation);
    const revoked = await revoke(client, params, { store: ctx.store, now });
    if (revoked) {
      await recordEvent(
        ctx.store,
        {
          type: 'grant.revoked',
          by: { sub: null, clientId: client.clientId, address: request.ip },
          sub: revoked.sub,
          clientId: client.clientId,
          data: { grant_id: revoked.grantId, via: 'revocation_endpoint' },
        },
        now,
        request.log,
      );
    }
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    return noStore(reply).code(200).send();
  });
}
