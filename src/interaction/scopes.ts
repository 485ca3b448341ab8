export interface ScopeDescription {
  scope: string;
  description: string;
}

const descriptions: ReadonlyMap<string, string> = new Map([
  ['openid', 'Sign you in (your user ID)'],
  ['profile', 'Your basic profile (name, picture, …)'],
  ['email', 'Your email address'],
  ['address', 'Your postal address'],
  ['phone', 'Your phone number'],
  ['offline_access', 'Keep access while you are away (stay signed in)'],
]);

export function isKnownScope(scope: string): boolean {
  return descriptions.has(scope);
}

/**
 * Words for the consent screen, in the order asked, without duplicates or empty values.
 * An unknown scope is described by its own name.
 */
export function describeScopes(scopes: readonly string[]): ScopeDescription[] {
  const seen = new Set<string>();
  const out: ScopeDescription[] = [];
  for (const scope of scopes) {
    if (scope === '' || seen.has(scope)) continue;
    seen.add(scope);
    out.push({ scope, description: descriptions.get(scope) ?? scope });
  }
  return out;
}
