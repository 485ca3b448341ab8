/** The rest of what `latch clients create` takes, for operators who need it: folded away by default. */
import { CheckboxGroup } from '../choices.js';
import { Checkbox, Field, lines } from '../ui.js';

export const GRANT_TYPES = [
  ['authorization_code', 'Authorization code'],
  ['refresh_token', 'Refresh token'],
  ['client_credentials', 'Client credentials'],
  ['urn:ietf:params:oauth:grant-type:device_code', 'Device code'],
  ['implicit', 'Implicit (discouraged)'],
  ['password', 'Password (discouraged)'],
] as const;

/** OAuth 2.0 Multiple Response Type Encoding Practices §5 and OIDC Core §3: what the authorization endpoint answers. */
export const RESPONSE_TYPES = [
  ['code', 'code (authorization code)'],
  ['id_token', 'id_token (implicit, needs the implicit grant)'],
  ['id_token token', 'id_token token (implicit)'],
  ['code id_token', 'code id_token (hybrid, needs authorization code and implicit)'],
  ['code token', 'code token (hybrid)'],
  ['code id_token token', 'code id_token token (hybrid)'],
  ['none', 'none (no credentials in the response)'],
] as const;

export function ResponseTypes({ value, onChange, error, hint }: { value: string[]; onChange: (value: string[]) => void; error?: string | undefined; hint?: string }) {
  return (
    <CheckboxGroup
      legend="Response types"
      name="response_types"
      value={value}
      options={RESPONSE_TYPES.map(([v, label]) => ({ value: v, label }))}
      onChange={onChange}
      error={error}
      {...(hint ? { hint } : {})}
    />
  );
}

export interface Advanced {
  grantTypes: string[] | undefined;
  responseTypes: string[] | undefined;
  scope: string;
  authMethod: string;
  idTokenAlg: string;
  clientId: string;
  defaultResource: string;
  allowedOrigins: string;
  jwks: string;
}

export const noAdvanced: Advanced = { grantTypes: undefined, responseTypes: undefined, scope: '', authMethod: '', idTokenAlg: '', clientId: '', defaultResource: '', allowedOrigins: '', jwks: '' };

/** The request members (RFC 7591 names) for what was filled in; the kind's defaults for the rest. */
export function advancedBody(a: Advanced): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (a.grantTypes) body.grant_types = a.grantTypes;
  if (a.responseTypes) body.response_types = a.responseTypes;
  if (a.scope.trim()) body.scope = a.scope.trim();
  if (a.authMethod) body.token_endpoint_auth_method = a.authMethod;
  if (a.idTokenAlg) body.id_token_signed_response_alg = a.idTokenAlg;
  if (a.clientId.trim()) body.client_id = a.clientId.trim();
  if (a.defaultResource.trim()) body.latch_default_resource = a.defaultResource.trim();
  if (lines(a.allowedOrigins).length) body.allowed_cors_origins = lines(a.allowedOrigins);
  if (a.jwks.trim()) {
    try {
      const parsed = JSON.parse(a.jwks) as unknown;
      // Like `--jwks-file`: one JWK is taken as a JWK Set of one key (RFC 7517 §5).
      body.jwks = parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !('keys' in parsed) && 'kty' in parsed ? { keys: [parsed] } : parsed;
    } catch {
      body.jwks = a.jwks;
    }
  }
  return body;
}

export function GrantTypes({ value, onChange, error }: { value: string[]; onChange: (value: string[]) => void; error?: string | undefined }) {
  return <CheckboxGroup legend="Grant types" name="grant_types" value={value} options={GRANT_TYPES.map(([v, label]) => ({ value: v, label }))} onChange={onChange} error={error} />;
}

export function AdvancedFields({ value, onChange, error }: { value: Advanced; onChange: (value: Advanced) => void; error: (field: string) => string | undefined }) {
  const set = (key: keyof Advanced) => (v: string) => onChange({ ...value, [key]: v });
  return (
    <details class="advanced">
      <summary>More settings (the kind's defaults otherwise)</summary>
      <div class="stack-inner">
        <Checkbox label="Choose the grant types myself" name="own-grants" checked={value.grantTypes !== undefined} onChange={(on) => onChange({ ...value, grantTypes: on ? [] : undefined })} />
        {value.grantTypes ? <GrantTypes value={value.grantTypes} onChange={(grantTypes) => onChange({ ...value, grantTypes })} error={error('grant_types')} /> : null}
        <Checkbox
          label="Choose the response types myself"
          name="own-response-types"
          checked={value.responseTypes !== undefined}
          onChange={(on) => onChange({ ...value, responseTypes: on ? [] : undefined })}
        />
        {value.responseTypes ? (
          <ResponseTypes value={value.responseTypes} onChange={(responseTypes) => onChange({ ...value, responseTypes })} error={error('response_types')} />
        ) : null}
        <Field label="Scopes" name="scope" value={value.scope} onInput={set('scope')} hint="Separated by spaces; replaces the kind's default scopes." error={error('scope')} />
        <div class="field">
          <label for="auth-method">Client authentication</label>
          <select id="auth-method" name="token_endpoint_auth_method" value={value.authMethod} onChange={(e) => set('authMethod')((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">The kind's default</option>
            <option value="client_secret_basic">client_secret_basic</option>
            <option value="client_secret_post">client_secret_post</option>
            <option value="private_key_jwt">private_key_jwt (give the public keys below)</option>
            <option value="none">none (public client, PKCE)</option>
          </select>
        </div>
        <Field label="Public keys (JWK Set, JSON)" name="jwks" multiline value={value.jwks} onInput={set('jwks')} hint="For private_key_jwt: the client's public keys (a JWK Set, or one JWK), never private ones." error={error('jwks')} />
        <div class="field">
          <label for="id-token-alg">ID token signing algorithm</label>
          <select id="id-token-alg" name="id_token_signed_response_alg" value={value.idTokenAlg} onChange={(e) => set('idTokenAlg')((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">RS256 (default)</option>
            <option value="ES256">ES256</option>
            <option value="PS256">PS256</option>
            <option value="EdDSA">EdDSA</option>
          </select>
        </div>
        <Field label="Client ID" name="client_id" value={value.clientId} onInput={set('clientId')} hint="Leave empty for a random one." error={error('client_id')} />
        <Field label="Default API" name="latch_default_resource" value={value.defaultResource} onInput={set('defaultResource')} hint="The API identifier its access tokens are for when a request names none." error={error('latch_default_resource')} />
        <Field label="Allowed browser origins (CORS)" name="allowed_cors_origins" multiline value={value.allowedOrigins} onInput={set('allowedOrigins')} hint="One per line (https://app.example.com): public clients whose browser code calls /token." error={error('allowed_cors_origins')} />
      </div>
    </details>
  );
}
