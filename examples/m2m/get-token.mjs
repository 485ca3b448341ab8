// Machine to machine: a script (a cron job, a backend service) gets an access token for itself with the client
// credentials grant (RFC 6749 §4.4), using openid-client, then calls an API with it. No person is involved, so there
// is no refresh token and no ID token: when the access token expires, the script simply asks for a new one.
//
//   LATCH_ISSUER=http://localhost:3000 CLIENT_ID=... CLIENT_SECRET=... SCOPE="reports:read" \
//     API_URL=http://localhost:4000/reports node examples/m2m/get-token.mjs
//
// Register the client first (it prints the client_id and, once, the client_secret):
//   npx latch clients create --name "Nightly reports" --type m2m --scope reports:read --scope reports:write
//
// Environment:
//   LATCH_ISSUER   Latch's issuer URL (default http://localhost:3000)
//   CLIENT_ID      the m2m client's id (required)
//   CLIENT_SECRET  its secret (required)
//   SCOPE          space-separated scopes to ask for (default: every scope the client is registered for)
//   RESOURCE       the API's identifier, when the API is registered with Latch (RFC 8707; optional)
//   API_URL        an API to call with the token (optional: without it the script only prints the token response)
import * as client from 'openid-client';

const issuer = new URL(process.env.LATCH_ISSUER ?? 'http://localhost:3000');
const { CLIENT_ID, CLIENT_SECRET, SCOPE, RESOURCE, API_URL } = process.env;
if (!CLIENT_ID || !CLIENT_SECRET) {
  console.error('Set CLIENT_ID and CLIENT_SECRET (from `npx latch clients create ... --type m2m`).');
  process.exit(1);
}

// `--type m2m` clients authenticate with client_secret_basic.
const config = await client.discovery(issuer, CLIENT_ID, undefined, client.ClientSecretBasic(CLIENT_SECRET), {
  execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
});

const parameters = {};
if (SCOPE) parameters.scope = SCOPE;
if (RESOURCE) parameters.resource = RESOURCE;

let tokens;
try {
  tokens = await client.clientCredentialsGrant(config, parameters);
} catch (error) {
  // e.g. invalid_scope (a scope the client is not registered for) or invalid_client (a wrong secret).
  console.error(`Latch refused the token request: ${error.error ?? error.code ?? ''} ${error.error_description ?? error.message}`);
  process.exit(1);
}

// Never log a whole bearer token: anyone who reads the log could use it until it expires.
const { access_token, ...rest } = tokens;
console.log('Token response:', JSON.stringify({ access_token: `${access_token.slice(0, 8)}…`, ...rest }, null, 2));
console.log(`The token expires in ${tokens.expiresIn()} seconds; ask for a new one then (there is no refresh token).`);

if (API_URL) {
  // RFC 6750 §2.1: the access token goes in the Authorization header.
  const response = await fetch(API_URL, { headers: { authorization: `Bearer ${access_token}`, accept: 'application/json' } });
  const body = await response.text();
  console.log(`GET ${API_URL} -> ${response.status}`);
  console.log(body);
  if (!response.ok) process.exit(1);
}
