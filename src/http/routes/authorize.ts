import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validateAuthorizationRequest } from '../../core/authorize/validate.js';
import { nextAuthorize } from '../../core/interaction/authorize.js';
import { sessionAuthentication } from '../../core/interaction/record.js';
import { authorizeDeps, readRequestOrRespond, redirectTargetOrPage, sendAuthorizeError, sendAuthorizeNext } from '../authorize-flow.js';
import { currentSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { requestParams } from '../form.js';

export function registerAuthorize(app: FastifyInstance, ctx: AppContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    // The pipeline: read (query, form, PAR record, request object), trust the redirect target, check, decide, respond.
    const parsed = await readRequestOrRespond(ctx, request, reply, requestParams(request));
    if (!parsed) return reply;
    const target = await redirectTargetOrPage(ctx, request, reply, parsed);
    if (!target) return reply;
    try {
      const deps = authorizeDeps(ctx);
      const authz = validateAuthorizationRequest(parsed, target, deps.policy);
      const session = await currentSession(ctx, request);
      const auth = session && sessionAuthentication(session);
      const next = await nextAuthorize(deps, target, authz, auth, undefined, ctx.now());
      return await sendAuthorizeNext(ctx, request, reply, next, authz, undefined);
    } catch (err) {
      return sendAuthorizeError(ctx, request, reply, target, err, parsed.params.get('ui_locales'));
    }
  };
  // OIDC Core §3.1.2.1: the authorization endpoint supports GET and POST.
  app.get('/authorize', { config: { page: true } }, handler);
  app.post('/authorize', { config: { page: true } }, handler);
}
