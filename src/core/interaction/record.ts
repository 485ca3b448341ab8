import type { ClientRecord, InteractionRecord } from '../../storage/types.js';
import type { Authentication } from '../authorize/decide.js';

/**
 * What an interaction is for: an authorization request (kept to be resumed and re-validated) or a device code a
 * person is deciding on (RFC 8628 §3.3). Each later kind of journey is one more member here.
 */
export type InteractionSubject =
  | { kind: 'authorize'; request: Readonly<Record<string, string>> }
  | { kind: 'device'; deviceCodeDigest: string };

export interface NewInteraction {
  idDigest: string;
  clientId: string;
  /** Digest of the browser cookie of the browser that started it: the only browser that may continue it. */
  browserDigest: string;
  now: number;
  expiresAt: number;
}

export function newInteraction(subject: InteractionSubject, start: NewInteraction): InteractionRecord {
  const { idDigest, clientId, browserDigest, now, expiresAt } = start;
  const common = { idDigest, clientId, browserDigest, result: {}, createdAt: now, expiresAt };
  return subject.kind === 'authorize'
    ? { ...common, kind: 'authorize', request: { ...subject.request }, deviceCodeDigest: null }
    : { ...common, kind: 'device', request: {}, deviceCodeDigest: subject.deviceCodeDigest };
}

/** The subject of a stored interaction, typed by its kind. */
export function subjectOf(record: InteractionRecord): InteractionSubject | undefined {
  if (record.kind === 'device') return record.deviceCodeDigest ? { kind: 'device', deviceCodeDigest: record.deviceCodeDigest } : undefined;
  return { kind: 'authorize', request: record.request };
}

/** An interaction continues only in the browser it is bound to (a link opened elsewhere is as good as expired). */
export function isBoundTo(record: InteractionRecord, browserDigest: string | undefined): boolean {
  return browserDigest !== undefined && record.browserDigest === browserDigest;
}

/** A session of the browser, as far as an interaction needs it. */
export interface SessionAuthentication {
  sub: string;
  sid: string;
  authTime: number;
  amr: string[];
}

/** Who the person is for this interaction: who logged in during it (fresh), else the browser's session. */
export function authenticationFor(record: InteractionRecord, session: SessionAuthentication | undefined): Authentication | undefined {
  const { result } = record;
  if (result.sub && result.sid && result.authTime !== undefined) {
    return { sub: result.sub, sid: result.sid, authTime: result.authTime, amr: result.amr ?? ['pwd'], fresh: true };
  }
  return session && sessionAuthentication(session);
}

/** A browser's session as the authentication of a request that did not log in itself. */
export function sessionAuthentication(session: SessionAuthentication): Authentication {
  return { sub: session.sub, sid: session.sid, authTime: session.authTime, amr: session.amr, fresh: false };
}

/** The name a person is shown for an application: its registered client_name, else its client_id. */
export function clientName(client: ClientRecord): string {
  return client.metadata.client_name || client.clientId;
}
