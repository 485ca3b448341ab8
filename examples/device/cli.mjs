// A terminal program that signs a person in with the device authorization grant (RFC 8628), using openid-client:
// it shows a short code and a URL, the person opens the URL on their phone or laptop, signs in and approves, and
// meanwhile the program polls Latch until the tokens arrive. The same flow suits TVs and consoles without a keyboard.
//
//   LATCH_ISSUER=http://localhost:3000 CLIENT_ID=... node examples/device/cli.mjs
//
// Register the client first (a public client: it has no secret, since anyone can read a program's files):
//   npx latch clients create --name "Example CLI" --type device
//
// Environment:
//   LATCH_ISSUER  Latch's issuer URL (default http://localhost:3000)
//   CLIENT_ID     the device client's id (required)
//   SCOPE         scopes to ask for (default "openid profile email offline_access")
import * as client from 'openid-client';

const issuer = new URL(process.env.LATCH_ISSUER ?? 'http://localhost:3000');
const { CLIENT_ID } = process.env;
const scope = process.env.SCOPE ?? 'openid profile email offline_access';
if (!CLIENT_ID) {
  console.error('Set CLIENT_ID (from `npx latch clients create ... --type device`).');
  process.exit(1);
}

const config = await client.discovery(issuer, CLIENT_ID, undefined, client.None(), {
  execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
});

const authorization = await client.initiateDeviceAuthorization(config, { scope });
console.log(`To sign in, open ${authorization.verification_uri} and enter the code: ${authorization.user_code}`);
console.log(`Or open this link, which has the code in it: ${authorization.verification_uri_complete}`);
console.log(`Waiting for you to approve (the code expires in ${Math.round(authorization.expires_in / 60)} minutes)...`);

let tokens;
try {
  // Polls the token endpoint every `interval` seconds, slowing down when Latch asks it to (slow_down).
  tokens = await client.pollDeviceAuthorizationGrant(config, authorization);
} catch (error) {
  const reasons = {
    access_denied: 'You denied the request.',
    expired_token: 'The code expired before it was approved. Run the program again for a new one.',
  };
  console.error(reasons[error.error] ?? `Sign-in failed: ${error.error ?? ''} ${error.error_description ?? error.message}`);
  process.exit(1);
}

// openid-client has validated the ID token (signature, issuer, audience, expiry) before returning it.
const claims = tokens.claims();
if (claims) {
  console.log(`Signed in as ${claims.name ?? claims.email ?? claims.sub} (sub ${claims.sub})`);
  console.log('ID token claims:', JSON.stringify(claims, null, 2));
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log('UserInfo:', JSON.stringify(userinfo, null, 2));
} else {
  console.log('Signed in (no openid scope, so no ID token).');
}
if (tokens.refresh_token) console.log('A refresh token was issued: the program can stay signed in without asking again.');
