import { describe, expect, it } from 'vitest';
import { AdminInputError } from './errors.js';
import { applyProfilePatch, checkProfile } from './user-claims.js';

function refused(patch: Record<string, unknown>): AdminInputError {
  try {
    applyProfilePatch({}, patch);
  } catch (err) {
    expect(err).toBeInstanceOf(AdminInputError);
    return err as AdminInputError;
  }
  throw new Error(`accepted ${JSON.stringify(patch)}`);
}

describe('profile claims (OIDC Core §5.1)', () => {
  it('keeps good values, trims text, canonicalises locale and phone number', () => {
    const { profile, changed } = applyProfilePatch(
      { name: 'Old' },
      {
        name: '  Ada Lovelace ',
        given_name: 'Ada',
        picture: 'https://example.com/ada.png',
        website: 'http://ada.example',
        locale: 'en-gb',
        zoneinfo: 'Europe/London',
        birthdate: '1815-12-10',
        phone_number: '+44 (20) 7946-0958',
        phone_number_verified: true,
        address: { locality: 'London', country: 'UK' },
      },
    );
    expect(profile).toEqual({
      name: 'Ada Lovelace',
      given_name: 'Ada',
      picture: 'https://example.com/ada.png',
      website: 'http://ada.example',
      locale: 'en-GB',
      zoneinfo: 'Europe/London',
      birthdate: '1815-12-10',
      phone_number: '+442079460958',
      phone_number_verified: true,
      address: { locality: 'London', country: 'UK' },
    });
    expect(changed.sort()).toEqual(
      ['address', 'birthdate', 'given_name', 'locale', 'name', 'phone_number', 'phone_number_verified', 'picture', 'website', 'zoneinfo'].sort(),
    );
  });

  it('removes a claim given as null or empty, and leaves absent ones alone', () => {
    const { profile, changed } = applyProfilePatch({ name: 'Ada', nickname: 'A', locale: 'fr' }, { name: null, nickname: '  ', family_name: undefined });
    expect(profile).toEqual({ locale: 'fr' });
    expect(changed.sort()).toEqual(['name', 'nickname']);
  });

  it('says nothing changed when the values are the same', () => {
    expect(applyProfilePatch({ name: 'Ada', locale: 'en-GB' }, { name: 'Ada', locale: 'en-gb' }).changed).toEqual([]);
  });

  it('accepts a year-only or year-less birthdate and a phone extension', () => {
    expect(checkProfile({ birthdate: '1815', phone_number: '+1 425 555 1212;ext=5678' })).toEqual({
      birthdate: '1815',
      phone_number: '+14255551212;ext=5678',
    });
    expect(checkProfile({ birthdate: '0000-12-10' })).toEqual({ birthdate: '0000-12-10' });
  });

  it.each([
    [{ picture: 'not a url' }, 'picture', /not an absolute URL/],
    [{ profile: 'javascript:alert(1)' }, 'profile', /http or https/],
    [{ website: 'ftp://example.com' }, 'website', /http or https/],
    [{ locale: 'en_US' }, 'locale', /BCP 47/],
    [{ locale: 'not a locale' }, 'locale', /BCP 47/],
    [{ zoneinfo: 'Mars/Olympus' }, 'zoneinfo', /IANA/],
    [{ birthdate: '1815-02-30' }, 'birthdate', /YYYY-MM-DD/],
    [{ birthdate: '10.12.1815' }, 'birthdate', /YYYY-MM-DD/],
    [{ phone_number: '020 7946 0958' }, 'phone_number', /E\.164/],
    [{ phone_number: '+0123456789' }, 'phone_number', /E\.164/],
    [{ phone_number: '+12345678901234567' }, 'phone_number', /E\.164/],
    [{ phone_number_verified: 'yes' }, 'phone_number_verified', /true or false/],
    [{ name: 42 }, 'name', /must be a string/],
    [{ name: 'x'.repeat(257) }, 'name', /at most 256/],
    [{ nickname: 'a\u0000b' }, 'nickname', /control characters/],
    [{ address: 'Baker Street' }, 'address', /must be an object/],
    [{ address: ['x'] }, 'address', /must be an object/],
    [{ address: { street: 'Baker Street' } }, 'address.street', /not an address field/],
    [{ address: { country: 7 } }, 'address.country', /must be a string/],
    [{ sub: 'other' }, 'sub', /cannot be changed/],
    [{ password_hash: 'x' }, 'password_hash', /not a claim/],
  ])('refuses %j naming the field', (patch, field, message) => {
    const err = refused(patch);
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
    expect(err.reason).toMatch(message);
  });

  it('keeps line breaks in a formatted address', () => {
    expect(checkProfile({ address: { formatted: '221B Baker Street\nLondon' } })).toEqual({ address: { formatted: '221B Baker Street\nLondon' } });
  });
});
