/**
 * CORS (Fetch standard, "CORS protocol"): which web origins may read Latch's answers from browser code.
 *
 * - `public` routes (discovery, JWKS): `Access-Control-Allow-Origin: *`; they are public and take no credentials.
 * - `client` routes (/token, /revoke, /userinfo, /device_authorization): only an origin registered for a public client,
 *   from its redirect URIs or its `allowed_cors_origins`, never `*`; `Vary: Origin`; WWW-Authenticate and DPoP-Nonce
 *   exposed. A preflight carries no credentials, so it is answered for an origin of any public client; the actual
 *   answer only for an origin of the calling client (the client_id in the body, or the client of the access token
 *   at /userinfo). An error answer is readable by any registered origin, so that an app can see why it was refused.
 * - Everything else, pages included, gets no CORS headers, and a preflight there finds no route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endpointPaths } from '../core/oidc/discovery.js';
import { findUsableToken } from '../core/tokens/opaque.js';
import type { ClientRecord, Store } from '../storage/types.js';

export type CorsPolicy = 'public' | 'client';

const exposed = 'WWW-Authenticate, DPoP-Nonce';
const allowedHeaders = 'Authorization, Content-Type, DPoP';
/** Seconds a browser may cache a preflight answer, and Latch its set of registered origins. */
const preflightMaxAge = 600;
const originsTtl = 10;

/** The origins a public client's browser code may call from: its http(s) redirect URIs' origins and its explicit list. */
export function clientCorsOrigins(client: ClientRecord): string[] {
  if (client.metadata.token_endpoint_auth_method !== 'none') return [];
  const origins = new Set(client.metadata.allowed_cors_origins ?? []);
  for (const uri of client.metadata.redirect_uris) {
    try {
      const url = new URL(uri);
      if (url.protocol === 'https:' || url.protocol === 'http:') origins.add(url.origin);
    } catch {
      // not a URL: no origin
    }
  }
  return [...origins];
}

interface Decision {
  origin: string;
  /** The calling client registered the origin: successful answers are readable too, not only errors. */
  forCaller: boolean;
}

export interface Cors {
  /** Decides, for a `client` route with an Origin header, whether the answer may be read there (before onSend writes it). */
  resolve(request: FastifyRequest): Promise<void>;
  /** onSend: writes the CORS headers the route's policy and the decision call for. */
  headers(request: FastifyRequest, reply: FastifyReply): void;
  /** The preflight routes, for the CORS endpoints only. */
  registerPreflight(app: FastifyInstance): void;
}

/** One per app (nothing at module level): its cache of registered origins and its per-request decisions. */
export function createCors(store: Pick<Store, 'clients' | 'tokens'>, now: () => number): Cors {
  let registered: { origins: Set<string>; until: number } | undefined;
  const decisions = new WeakMap<FastifyRequest, Decision>();

  async function registeredOrigins(): Promise<Set<string>> {
    const at = now();
    if (!registered || registered.until <= at) {
      const clients = await store.clients.list();
      registered = { origins: new Set(clients.flatMap(clientCorsOrigins)), until: at + originsTtl };
    }
    return registered.origins;
  }

  /** The client the request is made for: a public client names itself in the body; /userinfo's is the token's. */
  async function callerOf(request: FastifyRequest): Promise<string | undefined> {
    const body = request.body instanceof URLSearchParams ? request.body : undefined;
    if (request.routeOptions.url === endpointPaths.userinfo) {
      const header = request.headers.authorization;
      const token = header && /^bearer /i.test(header) ? header.slice(7).trim() : body?.get('access_token');
      if (!token || token.length > 4096) return undefined;
      return (await findUsableToken(token, store.tokens, now()))?.clientId;
    }
    return body?.get('client_id') ?? undefined;
  }

  return {
    async resolve(request) {
      const origin = request.headers.origin;
      if (!origin || request.routeOptions.config.cors !== 'client') return;
      const callerId = await callerOf(request);
      const caller = callerId === undefined ? undefined : await store.clients.find(callerId);
      const forCaller = caller !== undefined && clientCorsOrigins(caller).includes(origin);
      if (forCaller || (await registeredOrigins()).has(origin)) decisions.set(request, { origin, forCaller });
    },

    headers(request, reply) {
      const policy = request.routeOptions.config.cors;
      if (!policy) return;
      if (policy === 'public') {
        reply.header('Access-Control-Allow-Origin', '*');
        return;
      }
      reply.header('Vary', 'Origin');
      const decision = decisions.get(request);
      if (!decision || (!decision.forCaller && reply.statusCode < 400)) return;
      reply.header('Access-Control-Allow-Origin', decision.origin).header('Access-Control-Expose-Headers', exposed);
    },

    registerPreflight(app) {
      const preflight = (policy: CorsPolicy, methods: string) => async (request: FastifyRequest, reply: FastifyReply) => {
        reply.code(204).header('Access-Control-Max-Age', String(preflightMaxAge));
        if (policy === 'public') {
          return reply.header('Access-Control-Allow-Origin', '*').header('Access-Control-Allow-Methods', methods).send();
        }
        reply.header('Vary', 'Origin');
        const origin = request.headers.origin;
        if (!origin || !(await registeredOrigins()).has(origin)) return reply.send();
        return reply
          .header('Access-Control-Allow-Origin', origin)
          .header('Access-Control-Allow-Methods', methods)
          .header('Access-Control-Allow-Headers', allowedHeaders)
          .send();
      };
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', endpointPaths.jwks]) {
        app.options(path, preflight('public', 'GET'));
      }
      for (const path of [endpointPaths.token, endpointPaths.revocation, endpointPaths.deviceAuthorization]) {
        app.options(path, preflight('client', 'POST'));
      }
      app.options(endpointPaths.userinfo, preflight('client', 'GET, POST'));
    },
  };
}
