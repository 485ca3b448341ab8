import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DpopProofError } from '../../core/dpop/errors.js';
import { asDpopChallenge, atResource, resourceEndpointError } from '../../core/dpop/binding.js';
import { checkTokenBinding, resourceProof, tokenScheme } from '../../core/dpop/resource.js';
import { endpointUrls } from '../../core/oidc/discovery.js';
import { extractBearerToken, signedUserinfo, userinfo } from '../../core/oidc/userinfo.js';
import { rejectDuplicates } from '../../core/params.js';
import type { AppContext } from '../context.js';
import { dpopVerifierOptions } from '../dpop.js';
import { bodyParams, queryParams } from '../form.js';
import { noStore, sendJson } from '../responses.js';

export function registerUserinfo(app: FastifyInstance, ctx: AppContext): void {
  const dpop = dpopVerifierOptions(ctx);
  const url = endpointUrls(ctx.config.issuer).userinfo;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let bodyToken: string | undefined;
    if (request.method === 'POST' && request.body instanceof URLSearchParams) {
      const parsed = bodyParams(request);
      rejectDuplicates(parsed);
      bodyToken = parsed.params.get('access_token');
    }
    const query = queryParams(request);
    const token = extractBearerToken({ authorization: request.headers.authorization, body: bodyToken, query: query.params.get('access_token') });
    // RFC 9449 §7.1: Authorization: DPoP with a proof of this request, bound to the token.
    const scheme = bodyToken === undefined ? tokenScheme(request.headers.authorization) : 'Bearer';
    const now = ctx.now();
    const proof = await atResource(() => resourceProof({ scheme, token, dpop: request.headers.dpop, method: request.method, url, now }, dpop));
    const result = await userinfo(token, { store: ctx.store, pairwiseSalt: ctx.pairwiseSalt }, now, (record) => {
      try {
        checkTokenBinding(record.jkt, scheme, proof);
      } catch (err) {
        throw err instanceof DpopProofError ? resourceEndpointError(err) : err;
      }
    }).catch((err: unknown) => {
      throw scheme === 'DPoP' ? asDpopChallenge(err) : err;
    });
    // RFC 9449 §9: a fresh nonce for the client's next proof.
    if (proof && dpop.nonces) reply.header('DPoP-Nonce', dpop.nonces.current(now));
    // OIDC Core §5.3.2: a signed response is sent as application/jwt.
    const jwt = await signedUserinfo(result, ctx.keys, ctx.config.issuer, now);
    if (jwt !== undefined) return noStore(reply).type('application/jwt').send(jwt);
    return sendJson(reply, result.claims);
  };
  // OIDC Core §5.3.1: the UserInfo endpoint supports GET and POST.
  app.get('/userinfo', { config: { cors: 'client' } }, handler);
  app.post('/userinfo', { config: { cors: 'client' } }, handler);
}
