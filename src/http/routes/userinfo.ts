import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { extractBearerToken, signedUserinfo, userinfo } from '../../core/oidc/userinfo.js';
import { rejectDuplicates } from '../../core/params.js';
import type { AppContext } from '../context.js';
import { bodyParams, queryParams } from '../form.js';
import { noStore, sendJson } from '../responses.js';

export function registerUserinfo(app: FastifyInstance, ctx: AppContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let bodyToken: string | undefined;
    if (request.method === 'POST' && request.body instanceof URLSearchParams) {
      const parsed = bodyParams(request);
      rejectDuplicates(parsed);
      bodyToken = parsed.params.get('access_token');
    }
    const query = queryParams(request);
    const token = extractBearerToken({ authorization: request.headers.authorization, body: bodyToken, query: query.params.get('access_token') });
    const now = ctx.now();
    const result = await userinfo(token, { store: ctx.store, pairwiseSalt: ctx.pairwiseSalt }, now);
    // OIDC Core §5.3.2: a signed response is sent as application/jwt.
    const jwt = await signedUserinfo(result, ctx.keys, ctx.config.issuer, now);
    if (jwt !== undefined) return noStore(reply).type('application/jwt').send(jwt);
    return sendJson(reply, result.claims);
  };
  // OIDC Core §5.3.1: the UserInfo endpoint supports GET and POST.
  app.get('/userinfo', { config: { cors: 'client' } }, handler);
  app.post('/userinfo', { config: { cors: 'client' } }, handler);
}
