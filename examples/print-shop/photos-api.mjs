// The "photos" API: a resource server that keeps people's photos and accepts only Latch access tokens for it.
// It uses the middleware Latch exports as `latch/resource-server`.
import Fastify from 'fastify';
import { requireToken } from 'latch/resource-server/fastify';
import { samplePhotos } from './photos.mjs';

/**
 * @param {object} options
 * @param {string} options.issuer      Latch's issuer URL
 * @param {string} options.audience    this API's identifier, as registered with `latch apis create`
 * @param {{ clientId: string, clientSecret: string }} options.introspection  an m2m client of Latch, to check opaque tokens
 * @param {number} options.port
 * @param {string} [options.host]
 */
export async function startPhotosApi({ issuer, audience, introspection, port, host = 'localhost' }) {
  const app = Fastify();
  // Every photo belongs to someone: the token's `sub` says whose photos to return.
  const albums = new Map();
  const albumOf = (sub) => {
    if (!albums.has(sub)) albums.set(sub, samplePhotos.map((photo) => ({ ...photo })));
    return albums.get(sub);
  };

  // This API registered with --token-format opaque: every request asks Latch (introspection), so a revoked grant
  // is refused on the very next request. `introspectionCacheTtl: 0` keeps it that way for the demo; a busy API
  // would reuse answers for a few seconds (the default is 30).
  const readPhotos = requireToken({ issuer, audience, introspection, introspectionCacheTtl: 0, scopes: ['read:photos'] });

  app.get('/photos', { preHandler: readPhotos }, async (request) => ({
    owner: request.latch.claims.sub,
    photos: albumOf(request.latch.claims.sub),
  }));

  app.get('/', async () => ({ api: 'photos', identifier: audience, endpoints: ['GET /photos (scope read:photos)'] }));

  const url = await app.listen({ port, host });
  return { url, close: () => app.close() };
}
