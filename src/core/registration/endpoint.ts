/** Dynamic client registration (RFC 7591): whether /register is there, and where. */
export type RegistrationMode = 'token' | 'open' | 'off';

export const registrationPath = '/register';

/** LATCH_REGISTRATION: `token` (the default) and `open` serve /register; `off` does not (404, not advertised). */
export function registrationEnabled(settings: { registration?: RegistrationMode }): boolean {
  return (settings.registration ?? 'token') !== 'off';
}
