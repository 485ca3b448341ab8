/**
 * The audit trail: typed events (who, what, when, from where; never a secret), recorded in the store for the admin
 * API's `GET /admin/api/events`. Recording never fails the request that caused it: a store that cannot take the
 * event is logged and the request goes on.
 */
import { randomBytes } from 'node:crypto';
import type { EventRecord, Store } from '../storage/types.js';

/** Every event type, so that a filter can be checked and the OpenAPI document can list them. */
export const EVENT_TYPES = [
  // People signing in and out (core, pages).
  'login.succeeded',
  'login.failed',
  'login.throttled',
  'consent.granted',
  'consent.denied',
  'logout',
  'device.approved',
  'device.denied',
  // Tokens.
  'token.failed',
  'grant.revoked',
  // RFC 8693: a token exchanged for a token for another API (issue 15).
  'token.exchanged',
  // Operators' changes (admin services: the API, the console and the CLI).
  'client.created',
  'client.updated',
  'client.deleted',
  'client.secret_rotated',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.password_set',
  'user.disabled',
  'user.enabled',
  'user.role_granted',
  'user.role_revoked',
  'session.ended',
  'api.created',
  'api.updated',
  'api.deleted',
  'key.rotated',
  'settings.branding_updated',
  'admin.setup_completed',
  // Accounts that look after themselves (issue 13): the person's own changes.
  'user.signed_up',
  'user.email_verified',
  'user.email_change_requested',
  'user.email_changed',
  'password.reset_requested',
  'password.reset',
  'password.changed',
  'session.reauthenticated',
  // Federation (issue 13): upstream providers and the identities linked through them.
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'identity.linked',
  'identity.unlinked',
  // Second factors (issue 13): enrolment, removal, a recovery code used, an operator's reset, a failed or throttled code.
  'factor.enrolled',
  'factor.removed',
  'factor.recovery_used',
  'factor.reset',
  'factor.failed',
  'factor.throttled',
  // Back-Channel Logout (issue 15): a logout token delivered to a client, or given up on after its retries.
  'logout.backchannel_delivered',
  'logout.backchannel_failed',
  // Dynamic client registration (issue 15, RFC 7591 / RFC 7592): by the client itself, and the operator's initial access tokens.
  'client.registered',
  'client.registration_updated',
  'client.registration_deleted',
  'registration_token.created',
  'registration_token.revoked',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Who did it. The CLI is an operator at the machine: neither a person of Latch nor a client. */
export interface Actor {
  sub: string | null;
  clientId: string | null;
  address: string | null;
}

export const CLI_ACTOR: Actor = { sub: null, clientId: null, address: null };

export interface NewEvent {
  type: EventType;
  by?: Actor;
  sub?: string | null;
  clientId?: string | null;
  /** Overrides `by.address` (e.g. a stranger's failed sign-in has no actor but an address). */
  address?: string | null;
  data?: EventRecord['data'];
}

/** Time-ordered ids: 12 hex digits of milliseconds then 10 random hex digits, so that string order is time order. */
export function eventId(nowMs = Date.now()): string {
  return nowMs.toString(16).padStart(12, '0') + randomBytes(5).toString('hex');
}

export function buildEvent(event: NewEvent, now: number): EventRecord {
  const by = event.by ?? CLI_ACTOR;
  return {
    id: eventId(),
    type: event.type,
    at: now,
    actorSub: by.sub,
    actorClientId: by.clientId,
    sub: event.sub ?? null,
    clientId: event.clientId ?? null,
    address: event.address ?? by.address,
    data: event.data ?? {},
  };
}

export interface EventLog {
  warn(obj: object, msg: string): void;
}

/** Records the event; a failure is logged (when a log is given) and swallowed. */
export async function recordEvent(store: Pick<Store, 'events'>, event: NewEvent, now = Math.floor(Date.now() / 1000), log?: EventLog): Promise<void> {
  try {
    await store.events.record(buildEvent(event, now));
  } catch (err) {
    log?.warn({ err, event: event.type }, 'could not record an audit event');
  }
}
