/**
 * The branding's assets, served from Latch's own origin so that the pages' CSP stays 'self': the brand stylesheet
 * (the primary colour as CSS variables) and the fetched copies of the brand's and clients' logos.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { brandCss, brandCssTag } from '../../pages/brand-css.js';
import type { LogoCopy } from '../../pages/logo-cache.js';
import type { AppContext } from '../context.js';
import { brandLogoPath, brandStylesheetPath, readBranding } from '../page-chrome.js';

function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  return typeof header === 'string' && header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function sendLogo(request: FastifyRequest, reply: FastifyReply, copy: LogoCopy | undefined): FastifyReply {
  if (!copy) return reply.code(404).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send('no logo');
  // A copy is served under a versioned URL (?v=its ETag) by the pages: an hour of caching never shows a stale one.
  reply
    .header('ETag', copy.etag)
    .header('Cache-Control', 'public, max-age=3600')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Cross-Origin-Resource-Policy', 'same-origin')
    .header('Content-Security-Policy', "default-src 'none'");
  if (notModified(request, copy.etag)) return reply.code(304).send();
  return reply.type(copy.contentType).send(copy.body);
}

export function registerBrandAssets(app: FastifyInstance, ctx: AppContext): void {
  // Read on every request, so that a change shows at once on every instance; revalidated every time (no-cache).
  app.get(brandStylesheetPath, async (request, reply) => {
    const branding = await readBranding(ctx, request.log);
    const css = brandCss(branding.primaryColor);
    const etag = `"${brandCssTag(css)}"`;
    reply.header('ETag', etag).header('Cache-Control', 'no-cache');
    if (notModified(request, etag)) return reply.code(304).send();
    return reply.type('text/css; charset=utf-8').send(css);
  });

  app.get(brandLogoPath, async (request, reply) => {
    const { logoUri } = await readBranding(ctx, request.log);
    return sendLogo(request, reply, logoUri ? await ctx.logos.get(logoUri) : undefined);
  });

  app.get('/assets/logo/client/:clientId', async (request, reply) => {
    const { clientId } = request.params as { clientId: string };
    const client = clientId.length <= 256 ? await ctx.store.clients.find(clientId) : undefined;
    const logoUri = client?.metadata.logo_uri;
    return sendLogo(request, reply, logoUri ? await ctx.logos.get(logoUri) : undefined);
  });
}
