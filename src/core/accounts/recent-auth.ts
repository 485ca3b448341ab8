/**
 * A person changing how they sign in (password, email, factors) must have authenticated recently: an attacker at an
 * unattended, signed-in browser must not be able to take the account over. Older sessions confirm again first.
 */
export const RECENT_AUTH_SECONDS = 300;

export function isRecentlyAuthenticated(session: { authTime: number }, now: number): boolean {
  return now - session.authTime <= RECENT_AUTH_SECONDS;
}
