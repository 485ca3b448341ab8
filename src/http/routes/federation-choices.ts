import type { UpstreamChoice } from '../../pages/pages/federation.js';
import type { ConnectionRecord } from '../../storage/types.js';
import type { AppContext } from '../context.js';

/** Where the login page's form for this connection may lead (CSP form-action): its authorization endpoint, or its issuer. */
export function upstreamTarget(c: Pick<ConnectionRecord, 'authorizationEndpoint' | 'issuer'>): string | undefined {
  return c.authorizationEndpoint ?? c.issuer ?? undefined;
}

/**
 * The login page's "Continue with <name>" buttons for an interaction, and the origins its CSP must let those forms
 * reach (browsers apply form-action to the 303 that sends the browser upstream): each enabled connection's
 * authorization endpoint, or its issuer when the endpoint comes from discovery. `query`: what the interaction's URLs
 * carry (a device interaction's user code).
 */
export async function upstreamChoices(ctx: Pick<AppContext, 'store' | 'keySecret'>, interactionId: string, query = ''): Promise<{ choices: UpstreamChoice[]; formTargets: string[] }> {
  // Without the server secret there is nothing to derive the state and PKCE values from: no buttons.
  if (!ctx.keySecret) return { choices: [], formTargets: [] };
  const enabled = (await ctx.store.connections.list()).filter((c) => c.enabled);
  return {
    choices: enabled.map((c) => ({ action: `/interaction/${interactionId}/federation/${encodeURIComponent(c.id)}${query}`, name: c.name })),
    formTargets: enabled.flatMap((c) => {
      const target = upstreamTarget(c);
      return target ? [target] : [];
    }),
  };
}
