/**
 * Delivers logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5) from an in-process queue made at start:
 * a few deliveries at a time, each attempt with its own timeout, failed attempts retried with a doubling backoff;
 * the outcome of each delivery is recorded as an event (never the token). A person's logout only enqueues.
 */
import type { KeyRing } from '../../keys/types.js';
import { recordEvent, type EventLog } from '../../observability/events.js';
import { OutboundFetchError, outboundFetch } from '../../outbound/index.js';
import type { Store } from '../../storage/types.js';
import { issueLogoutToken } from '../tokens/logout-token.js';
import { type BackchannelLogout, type EndedSessions, type LogoutNotice, logoutNotices, sessionClients } from './backchannel-logout.js';
import { subjectFor } from './pairwise.js';

export interface BackchannelDeliveryOptions {
  issuer: string;
  store: Pick<Store, 'grants' | 'clients' | 'events'>;
  keys: Pick<KeyRing, 'sign'>;
  /** LATCH_FETCH_ALLOW_PRIVATE: loopback and private receivers (tests, development). */
  allowPrivate: boolean;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts per logout token, the first included. */
  attempts: number;
  /** OIDC Core §8.1: a pairwise client's logout token names the person by the sub of its ID tokens. */
  pairwiseSalt: Buffer;
  /** Wait before the first retry; doubled for each further one. */
  backoffMs?: number;
  /** Deliveries in flight at once; the rest wait their turn. */
  concurrency?: number;
  now(): number;
  log?: EventLog;
}

export interface BackchannelDelivery extends BackchannelLogout {
  /** Resolves when every delivery queued so far has ended (succeeded or failed for good), or after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<{ pending: number }>;
  /**
   * At shutdown: waits up to `timeoutMs` for the deliveries under way, then gives up the retries still waiting
   * (recorded as failed, reason `shutdown`) and takes no more notices.
   */
  close(timeoutMs: number): Promise<void>;
}

interface Failure {
  reason: string;
  status?: number;
  /** Retrying cannot help: the URL itself is refused. */
  final: boolean;
}

// §2.8: "If the logout succeeded, the RP MUST respond with HTTP 200 OK"; 204 is accepted as well.
const delivered = (status: number) => status === 200 || status === 204;

async function attempt(notice: LogoutNotice, token: string, options: BackchannelDeliveryOptions): Promise<Failure | undefined> {
  try {
    // §2.5: an HTTP POST with the logout token as the form parameter logout_token.
    const answer = await outboundFetch(notice.uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ logout_token: token }).toString(),
      allowPrivate: options.allowPrivate,
      timeoutMs: options.timeoutMs,
      maxBytes: 64 * 1024,
      maxRedirects: 0,
      acceptStatus: () => true,
    });
    return delivered(answer.status) ? undefined : { reason: 'status', status: answer.status, final: false };
  } catch (err) {
    if (!(err instanceof OutboundFetchError)) return { reason: 'network', final: false };
    return { reason: err.reason, ...(err.status !== undefined && { status: err.status }), final: err.reason === 'scheme' || err.reason === 'address' };
  }
}

/** Waits `ms`, or less when `signal` aborts (shutdown); says whether it waited the whole time. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

export function createBackchannelDelivery(options: BackchannelDeliveryOptions): BackchannelDelivery {
  const concurrency = options.concurrency ?? 8;
  const backoffMs = options.backoffMs ?? 1000;
  const waiting: LogoutNotice[] = [];
  const running = new Set<Promise<void>>();
  let idle: Array<() => void> = [];
  const closing = new AbortController();

  async function deliver(notice: LogoutNotice): Promise<void> {
    const { client, sid } = notice;
    const base = { sub: notice.sub, clientId: client.clientId };
    let failure: Failure | undefined;
    let tries = 0;
    try {
      const token = await issueLogoutToken({ issuer: options.issuer, client, sub: subjectFor(client, notice.sub, options.pairwiseSalt), sid, now: options.now() }, options.keys);
      for (; tries < options.attempts; ) {
        if (tries > 0 && !(await sleep(backoffMs * 2 ** (tries - 1), closing.signal))) {
          failure = { reason: 'shutdown', final: true };
          break;
        }
        tries += 1;
        failure = await attempt(notice, token, options);
        if (!failure || failure.final) break;
      }
    } catch (err) {
      options.log?.warn({ err, client_id: client.clientId }, 'a logout token could not be made');
      failure = { reason: 'signing', final: true };
    }
    const data = { sid, attempts: tries, ...(failure && { reason: failure.reason, ...(failure.status !== undefined && { status: failure.status }) }) };
    const type = failure ? 'logout.backchannel_failed' : 'logout.backchannel_delivered';
    await recordEvent(options.store, { type, ...base, data }, options.now(), options.log);
  }

  function pump(): void {
    while (running.size < concurrency && waiting.length > 0) {
      const job = deliver(waiting.shift() as LogoutNotice)
        .catch((err: unknown) => options.log?.warn({ err }, 'a logout token delivery failed unexpectedly'))
        .finally(() => {
        running.delete(job);
        pump();
      });
      running.add(job);
    }
    if (running.size === 0 && waiting.length === 0) {
      const waiters = idle;
      idle = [];
      for (const resolve of waiters) resolve();
    }
  }

  const delivery: BackchannelDelivery = {
    async plan(ended: EndedSessions) {
      return logoutNotices(await sessionClients(options.store, ended));
    },
    send(notices) {
      if (closing.signal.aborted) return;
      waiting.push(...notices);
      pump();
    },
    async drain(timeoutMs = 10_000) {
      if (running.size > 0 || waiting.length > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ]);
        clearTimeout(timer);
      }
      return { pending: running.size + waiting.length };
    },
    async close(timeoutMs) {
      const { pending } = await delivery.drain(timeoutMs);
      if (pending === 0) return;
      closing.abort();
      // Those between attempts end now, and so do those not started yet; each is recorded.
      const dropped = waiting.splice(0);
      const at = options.now();
      await Promise.all(
        dropped.map((n) =>
          recordEvent(options.store, { type: 'logout.backchannel_failed', sub: n.sub, clientId: n.client.clientId, data: { sid: n.sid, attempts: 0, reason: 'shutdown' } }, at, options.log),
        ),
      );
      await delivery.drain(500);
    },
  };
  return delivery;
}
