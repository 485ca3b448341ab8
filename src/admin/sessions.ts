import type { BackchannelLogout } from '../core/oidc/backchannel-logout.js';
import { recordEvent, type Actor } from '../observability/events.js';
import type { SessionRecord, Store } from '../storage/types.js';
import { AdminNotFoundError } from './errors.js';
import { getUser } from './users.js';

export { AdminNotFoundError } from './errors.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The user's single sign-on sessions that have not expired, newest first. AdminNotFoundError for an unknown user. */
export async function listSessions(store: Pick<Store, 'users' | 'sessions'>, sub: string, now = nowSeconds()): Promise<SessionRecord[]> {
  await getUser(store, sub);
  return store.sessions.listBySub(sub, now);
}

/**
 * Ends one session, found by its public id (`sid`): the browser that held it must sign in again, and the clients of
 * that session with a backchannel_logout_uri get a logout token (through `logout`, in the background). Tokens
 * already issued are not revoked (revoke the grants for that).
 */
export async function endSession(
  store: Pick<Store, 'sessions' | 'events'>,
  sid: string,
  by?: Actor,
  now = nowSeconds(),
  logout?: BackchannelLogout,
): Promise<SessionRecord> {
  const session = await store.sessions.findBySid(sid, now);
  if (!session) throw new AdminNotFoundError('session', sid);
  const notices = logout ? await logout.plan({ sub: session.sub, sids: [sid] }) : [];
  if (!(await store.sessions.deleteBySid(sid))) throw new AdminNotFoundError('session', sid);
  await recordEvent(store, { type: 'session.ended', by, sub: session.sub, data: { sid } }, now);
  logout?.send(notices);
  return session;
}

/** Ends every session of the user (their clients told as by endSession); returns how many. AdminNotFoundError for an unknown user. */
export async function endAllSessions(
  store: Pick<Store, 'users' | 'sessions' | 'events'>,
  sub: string,
  by?: Actor,
  now = nowSeconds(),
  logout?: BackchannelLogout,
): Promise<number> {
  await getUser(store, sub);
  const notices = logout ? await logout.plan({ sub, sids: (await store.sessions.listBySub(sub, now)).map((s) => s.sid) }) : [];
  const count = await store.sessions.deleteBySub(sub);
  await recordEvent(store, { type: 'session.ended', by, sub, data: { count } }, now);
  logout?.send(notices);
  return count;
}

/** The operator's view of a session: never the digest of its cookie. */
export function sessionToJson(session: SessionRecord): Record<string, unknown> {
  return {
    sid: session.sid,
    sub: session.sub,
    auth_time: session.authTime,
    amr: session.amr,
    created_at: session.createdAt,
    expires_at: session.expiresAt,
  };
}
