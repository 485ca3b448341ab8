/**
 * Step 0 of the authorization-request pipeline: what the request is. Plain parameters (query or form) are taken as
 * they are; a `request_uri` of Latch's own /par is replaced by the parameters pushed there (RFC 9126 §4); a `request`
 * (or a remote `request_uri`, when the operator allows them) by the claims of the verified request object
 * (RFC 9101 §5: "the authorization server MUST only use the parameters in the Request Object"). What follows
 * (redirect target, checks, decision) sees only the outcome, with where it came from in two reserved parameters.
 */
import type { ClientsRepository, PushedRequestsRepository } from '../../storage/types.js';
import { InvalidRequest, OAuthError } from '../errors.js';
import { collectParams, type ParsedParams } from '../params.js';
import { requestUriDigest } from './par.js';
import { type RequestObjectDeps, verifyRequestObject } from './request-object.js';

/** Reserved parameters recording where a request came from; never taken from outside (dropped on reading). */
export const sourceParams = { pushed: 'latch_pushed', signed: 'latch_signed' } as const;
const reserved: ReadonlySet<string> = new Set(Object.values(sourceParams));

export interface RequestSource {
  /** It came through /par (RFC 9126). */
  pushed: boolean;
  /** It came in a signed request object (RFC 9101; alg none is not signed). */
  signed: boolean;
}

export function requestSource(parsed: ParsedParams): RequestSource {
  return { pushed: parsed.params.get(sourceParams.pushed) === '1', signed: parsed.params.get(sourceParams.signed) === '1' };
}

/** The same parameters, marked as pushed (/par stores them so). */
export function markPushed(parsed: ParsedParams): ParsedParams {
  return collectParams([...entriesOf(parsed), [sourceParams.pushed, '1']]);
}

/** Name/value pairs of parsed parameters, repeatable ones with all their values. */
export function entriesOf(parsed: ParsedParams): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const [name, value] of parsed.params) {
    const all = parsed.multi.get(name);
    if (all) for (const one of all) entries.push([name, one]);
    else entries.push([name, value]);
  }
  return entries;
}

export interface ReadDeps {
  clients: Pick<ClientsRepository, 'find'>;
  pushedRequests: Pick<PushedRequestsRepository, 'consume'>;
  requestObjects: RequestObjectDeps;
  /** Fetches a remote request_uri's request object (LATCH_REQUEST_URI_REMOTE); undefined: remote ones are refused. */
  fetchRequestUri?: (uri: string) => Promise<string>;
  now: number;
}

function withoutReserved(entries: Iterable<[string, string]>): Array<[string, string]> {
  return [...entries].filter(([name]) => !reserved.has(name));
}

/**
 * Reads an authorization request at `endpoint`. Errors about a request object or request_uri are redirectable: the
 * caller sends them to the redirect URI the outer parameters name, when that one is trusted (RFC 9101 §6.3), else
 * shows them (a page at /authorize, JSON at /par).
 */
export async function readAuthorizationRequest(outer: ParsedParams, deps: ReadDeps, endpoint: 'authorize' | 'par'): Promise<ParsedParams> {
  const parsed: ParsedParams = {
    params: new Map([...outer.params].filter(([name]) => !reserved.has(name))),
    multi: outer.multi,
    duplicates: outer.duplicates.filter((name) => !reserved.has(name)),
  };
  const { params, duplicates } = parsed;
  const request = params.get('request');
  const requestUri = params.get('request_uri');
  if (request === undefined && requestUri === undefined) return parsed;
  for (const name of ['request', 'request_uri', 'client_id']) {
    if (duplicates.includes(name)) throw new InvalidRequest(`parameter included more than once: ${name}`);
  }
  // RFC 9101 §5: request and request_uri are exclusive.
  if (request !== undefined && requestUri !== undefined) throw new InvalidRequest('request and request_uri must not both be sent', { redirectable: true });
  // RFC 9101 §5 / RFC 9126 §4: client_id is REQUIRED next to request or request_uri.
  const clientId = params.get('client_id');
  if (!clientId) throw new InvalidRequest('missing required parameter: client_id (required with request and request_uri)');
  const client = await deps.clients.find(clientId);
  if (!client) throw new OAuthError('invalid_client', 'unknown client_id', { status: 400 });

  let jwt = request;
  if (requestUri !== undefined) {
    // RFC 9126 §2.1: "The request_uri authorization request parameter is one exception, and it MUST NOT be provided."
    if (endpoint === 'par') throw new InvalidRequest('request_uri must not be sent to the pushed authorization request endpoint');
    const digest = requestUriDigest(requestUri);
    if (digest !== undefined) {
      // RFC 9126 §4 / §7.3: single use, and only by the client that pushed it (another client's use consumes nothing).
      const pushed = await deps.pushedRequests.consume(digest, clientId, deps.now);
      if (!pushed) {
        throw new OAuthError('invalid_request_uri', 'request_uri is unknown, expired, already used, or was pushed by another client', { redirectable: true });
      }
      return collectParams(Object.entries(pushed.params));
    }
    // RFC 9101 §5.2: a request_uri elsewhere is fetched only where the operator allows it (LATCH_REQUEST_URI_REMOTE).
    if (!deps.fetchRequestUri) {
      throw new OAuthError('invalid_request_uri', 'only request_uri values from this server\'s pushed authorization request endpoint are accepted', { redirectable: true });
    }
    try {
      jwt = (await deps.fetchRequestUri(requestUri)).trim();
    } catch (err) {
      throw new OAuthError('invalid_request_uri', `the request_uri could not be fetched: ${err instanceof Error ? err.message : 'failed'}`, { redirectable: true });
    }
  }
  const object = await verifyRequestObject(jwt as string, client, deps.requestObjects);
  const entries = withoutReserved(object.entries);
  if (object.signed) entries.push([sourceParams.signed, '1']);
  return collectParams(entries);
}
