import { type MessageKey, translator, type Locale } from './messages/index.js';

export interface ScopeDescription {
  scope: string;
  description: string;
}

/** The OpenID Connect scopes (and offline_access) the catalogues describe. */
const standard: ReadonlyMap<string, MessageKey> = new Map<string, MessageKey>([
  ['openid', 'scope.openid'],
  ['profile', 'scope.profile'],
  ['email', 'scope.email'],
  ['address', 'scope.address'],
  ['phone', 'scope.phone'],
  ['offline_access', 'scope.offline_access'],
]);

export function isKnownScope(scope: string): boolean {
  return standard.has(scope);
}

function unique(scopes: readonly string[]): string[] {
  return [...new Set(scopes.filter((s) => s !== ''))];
}

/**
 * Words for the consent screen, in the order asked, without duplicates or empty values, in the page's language.
 * An unknown scope is described by its own name.
 */
export function describeScopes(scopes: readonly string[], locale: Locale = 'en'): ScopeDescription[] {
  const t = translator(locale);
  return unique(scopes).map((scope) => {
    const key = standard.get(scope);
    return { scope, description: key ? t.text(key) : scope };
  });
}

/** The API whose scopes a request asks for, as the consent page shows it. */
export interface ConsentApi {
  name: string;
  /** ApiRecord.scopeDescriptions: the operator's words for each scope (absent ones are shown by name). */
  scopeDescriptions: Readonly<Record<string, string>>;
}

export interface ScopeGroups {
  /** The scopes about the person (OIDC), described by the catalogue. */
  identity: ScopeDescription[];
  /** The API's scopes; `described` is false when the operator registered no description (shown by name). */
  api: (ScopeDescription & { described: boolean })[];
  /** Scopes of no API (no API resolved for the request), shown by name. */
  other: string[];
}

/** Sorts the requested scopes for the consent page: the person's data, then the API's scopes in its own words. */
export function groupScopes(scopes: readonly string[], locale: Locale, api?: ConsentApi): ScopeGroups {
  const t = translator(locale);
  const groups: ScopeGroups = { identity: [], api: [], other: [] };
  for (const scope of unique(scopes)) {
    const key = standard.get(scope);
    if (key) groups.identity.push({ scope, description: t.text(key) });
    else if (!api) groups.other.push(scope);
    else {
      const registered = Object.hasOwn(api.scopeDescriptions, scope) ? api.scopeDescriptions[scope]?.trim() : undefined;
      groups.api.push({ scope, description: registered || scope, described: Boolean(registered) });
    }
  }
  return groups;
}
