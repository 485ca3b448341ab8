import type { FastifyInstance } from 'fastify';
import { providerMetadata } from '../../core/oidc/discovery.js';
import { assets } from '../../interaction/index.js';
import type { AppContext } from '../context.js';

export function registerDiscovery(app: FastifyInstance, ctx: AppContext): void {
  // Computed once: the metadata changes only with the configuration.
  const metadata = JSON.stringify(providerMetadata(ctx.config.issuer, ctx.keys.algorithms, ctx.config));
  const sendMetadata = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('Cache-Control', 'public, max-age=300').type('application/json; charset=utf-8').send(metadata);
  app.get('/.well-known/openid-configuration', { config: { cors: true } }, sendMetadata);
  app.get('/.well-known/oauth-authorization-server', { config: { cors: true } }, sendMetadata);

  app.get('/jwks', { config: { cors: true } }, async (_request, reply) =>
    reply.header('Cache-Control', 'public, max-age=300').type('application/jwk-set+json; charset=utf-8').send(ctx.keys.jwksJson()),
  );

  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, async (request, reply) => {
      reply.header('ETag', asset.etag).header('Cache-Control', 'public, max-age=3600');
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.contentType).send(asset.body);
    });
  }
}
