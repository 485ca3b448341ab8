/**
 * Who hears that a session ended (OpenID Connect Back-Channel and Front-Channel Logout 1.0): every client that got
 * a grant in that session, found through the grant's `sid` (the session the person signed in with at /authorize).
 */
import type { ClientRecord, ClientsRepository, GrantsRepository } from '../../storage/types.js';

/** Sessions that end, all of one person. */
export interface EndedSessions {
  sub: string;
  sids: readonly string[];
  /**
   * The person is disabled or deleted: a client whose grants belong to no session named here hears of it too, by
   * `sub` alone (Back-Channel Logout §2.4: "log out all sessions for that End-User"), unless it requires a `sid`.
   */
  person?: boolean;
}

/** One client of an ended session; `sid` null when the person as a whole is gone and no session is known. */
export interface SessionClient {
  client: ClientRecord;
  sub: string;
  sid: string | null;
}

/** A client to send a logout token to, at its registered `backchannel_logout_uri`. */
export interface LogoutNotice extends SessionClient {
  uri: string;
}

/** What the routes and the admin services see of the back-channel logout (backchannel-delivery.ts makes one). */
export interface BackchannelLogout {
  /** Who is to be told: asked before the sessions (or the person, whose grants go with them) are gone. */
  plan(ended: EndedSessions): Promise<LogoutNotice[]>;
  /** Sends the logout tokens in the background and returns at once: a person's logout never waits for an RP. */
  send(notices: readonly LogoutNotice[]): void;
}

export type SessionRepositories = { grants: Pick<GrantsRepository, 'listBySub'>; clients: Pick<ClientsRepository, 'find'> };

/** Every client of the ended sessions, once per (client, session), oldest grant first. */
export async function sessionClients(repos: SessionRepositories, ended: EndedSessions): Promise<SessionClient[]> {
  const sids = new Set(ended.sids);
  const grants = await repos.grants.listBySub(ended.sub);
  const wanted = new Map<string, { clientId: string; sid: string | null }>();
  for (const grant of grants) {
    if (grant.sid !== null && sids.has(grant.sid)) wanted.set(`${grant.clientId}\n${grant.sid}`, { clientId: grant.clientId, sid: grant.sid });
  }
  if (ended.person) {
    const told = new Set([...wanted.values()].map((w) => w.clientId));
    for (const grant of grants) {
      if (!told.has(grant.clientId)) {
        told.add(grant.clientId);
        wanted.set(`${grant.clientId}\n`, { clientId: grant.clientId, sid: null });
      }
    }
  }
  const clients = new Map<string, ClientRecord | undefined>();
  const out: SessionClient[] = [];
  for (const { clientId, sid } of wanted.values()) {
    if (!clients.has(clientId)) clients.set(clientId, await repos.clients.find(clientId));
    const client = clients.get(clientId);
    if (client) out.push({ client, sub: ended.sub, sid });
  }
  return out;
}

/** The clients of `sessionClients` that registered a back-channel logout URI. */
export function logoutNotices(clients: readonly SessionClient[]): LogoutNotice[] {
  return clients.flatMap((c) => {
    const uri = c.client.metadata.backchannel_logout_uri;
    if (!uri) return [];
    // Back-Channel Logout §2.2: a client with backchannel_logout_session_required needs the sid claim, so a token
    // without one is not for it.
    if (c.sid === null && c.client.metadata.backchannel_logout_session_required === true) return [];
    return [{ ...c, uri }];
  });
}
