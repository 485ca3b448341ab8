import { describe, expect, it } from 'vitest';
import { authenticationFor, isBoundTo, newInteraction, subjectOf } from './record.js';

const start = { idDigest: 'i', clientId: 'c', browserDigest: 'b', now: 100, expiresAt: 700 };

describe('interaction record', () => {
  it('an authorize interaction keeps its request; a device one its device code, with no parameters', () => {
    const authorize = newInteraction({ kind: 'authorize', request: { client_id: 'c', scope: 'openid' } }, start);
    expect(authorize).toStrictEqual({
      idDigest: 'i',
      clientId: 'c',
      browserDigest: 'b',
      kind: 'authorize',
      request: { client_id: 'c', scope: 'openid' },
      deviceCodeDigest: null,
      result: {},
      createdAt: 100,
      expiresAt: 700,
    });
    expect(subjectOf(authorize)).toEqual({ kind: 'authorize', request: { client_id: 'c', scope: 'openid' } });
    const device = newInteraction({ kind: 'device', deviceCodeDigest: 'd' }, start);
    expect(device.request).toEqual({});
    expect(subjectOf(device)).toEqual({ kind: 'device', deviceCodeDigest: 'd' });
    expect(subjectOf({ ...device, deviceCodeDigest: null })).toBeUndefined();
  });

  it('continues only in the browser it is bound to', () => {
    const record = newInteraction({ kind: 'device', deviceCodeDigest: 'd' }, start);
    expect(isBoundTo(record, 'b')).toBe(true);
    expect(isBoundTo(record, 'other')).toBe(false);
    expect(isBoundTo(record, undefined)).toBe(false);
  });

  it('prefers who logged in during the interaction (fresh) over the browser session', () => {
    const record = newInteraction({ kind: 'authorize', request: {} }, start);
    const session = { sub: 's', sid: 'sid-s', authTime: 50, amr: ['pwd', 'otp', 'mfa'] };
    expect(authenticationFor(record, undefined)).toBeUndefined();
    expect(authenticationFor(record, session)).toEqual({ ...session, fresh: false });
    const loggedIn = { ...record, result: { sub: 'u', sid: 'sid-u', authTime: 90, amr: ['fed'] } };
    expect(authenticationFor(loggedIn, session)).toEqual({ sub: 'u', sid: 'sid-u', authTime: 90, amr: ['fed'], fresh: true });
    // An interaction from before it kept amr was a password sign-in.
    const older = { ...record, result: { sub: 'u', sid: 'sid-u', authTime: 90 } };
    expect(authenticationFor(older, session)?.amr).toEqual(['pwd']);
  });
});
