import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { providerMetadata } from '../../core/oidc/discovery.js';
import { assets } from '../../pages/index.js';
import type { AppContext } from '../context.js';
import { baseHeaders } from '../responses.js';
import type { TurnQueue } from '../../runtime/turn-end.js';

/**
 * A complete response (body and every header) computed once and written straight to the socket: discovery
 * and the JWKS are what every client and resource server fetches, so they skip the per-request work of the
 * reply pipeline. The headers are those the app's onSend hook adds to every answer, plus CORS and caching. Like
 * every answer, it goes out at the end of the turn (runtime/turn-end.ts).
 */
function staticJson(contentType: string, json: string, turnWrites: TurnQueue) {
  const body = Buffer.from(json);
  const headers = {
    'content-type': contentType,
    'content-length': String(body.length),
    'cache-control': 'public, max-age=300',
    'access-control-allow-origin': '*',
    ...baseHeaders,
  };
  const write = (response: ServerResponse, answer: Buffer): void => {
    response.writeHead(200, headers);
    response.end(answer);
  };
  return (reply: FastifyReply): void => {
    reply.hijack();
    turnWrites.defer(write, reply.raw, body);
  };
}

export function registerDiscovery(app: FastifyInstance, ctx: AppContext, turnWrites: TurnQueue): void {
  // Computed once: the metadata changes only with the configuration.
  const metadata = JSON.stringify(providerMetadata(ctx.config.issuer, ctx.keys.algorithms, ctx.config));
  const sendMetadata = staticJson('application/json; charset=utf-8', metadata, turnWrites);
  app.get('/.well-known/openid-configuration', { config: { cors: 'public' } }, (_request, reply) => sendMetadata(reply));
  app.get('/.well-known/oauth-authorization-server', { config: { cors: 'public' } }, (_request, reply) => sendMetadata(reply));

  // Rebuilt only when the key ring's JWKS changes (rotation, reload).
  let jwksJson = ctx.keys.jwksJson();
  let sendJwks = staticJson('application/jwk-set+json; charset=utf-8', jwksJson, turnWrites);
  app.get('/jwks', { config: { cors: 'public' } }, (_request, reply) => {
    const current = ctx.keys.jwksJson();
    if (current !== jwksJson) {
      jwksJson = current;
      sendJwks = staticJson('application/jwk-set+json; charset=utf-8', current, turnWrites);
    }
    sendJwks(reply);
  });

  for (const [path, asset] of Object.entries(assets)) {
    app.get(path, async (request, reply) => {
      reply.header('ETag', asset.etag).header('Cache-Control', 'public, max-age=3600');
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.contentType).send(asset.body);
    });
  }
}
