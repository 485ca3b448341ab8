const main = `latch: an OAuth 2.0 and OpenID Connect authorization server

Usage: latch <command> [options]

Commands:
  start                          start the server (migrates the database first)
  migrate                        apply pending database migrations
  users create|list|show|delete|set-password|grant-role|revoke-role|disable|enable|reset-factors
  clients create|list|show|update|rotate-secret|delete|advise
  keys list|rotate
  apis create|list|show|update|delete   APIs (resource servers) that accept Latch access tokens
  grants list|revoke             what a person authorized, and taking it back
  connections create|list|show|update|delete   upstream providers ("Continue with <name>")
  registration-tokens create|list|revoke   initial access tokens for POST /register (RFC 7591)
  purge                          delete expired tokens, codes, sessions... and old events now
  backup <file> [--force]        a consistent copy of the SQLite database, while the server runs
  help [command]                 show help

Every command takes --json (print one JSON object on stdout) and --help.
Configuration comes from the environment (PORT, LATCH_ISSUER, LATCH_DATA_DIR, LATCH_DATABASE_URL,
LATCH_SECRET, ...) and the JSON file named by LATCH_CONFIG.

Getting started:
  latch start
  latch users create --email you@example.com
  latch clients create --name "My app" --type web --redirect-uri http://localhost:8080/callback
`;

const start = `Usage: latch start [--json]

Migrates the database, creates signing keys on first start, and serves until SIGINT or SIGTERM.
On the signal: /readyz answers 503 for LATCH_SHUTDOWN_DELAY seconds while requests are still served, then the
requests in flight get LATCH_SHUTDOWN_TIMEOUT seconds to finish; a second signal stops at once.
Prometheus metrics: http://127.0.0.1:9464/metrics (LATCH_METRICS_ADDRESS).
`;

const migrate = `Usage: latch migrate [--json]

Applies pending database migrations (SQLite in LATCH_DATA_DIR, or PostgreSQL at LATCH_DATABASE_URL).
`;

const users = `Usage: latch users <command> [options]

  create --email E [--name N] [--email-verified] [--role R]... [--password-stdin]
                                 create a user; without --password-stdin the password is asked
                                 for at the terminal (not echoed); --role admin makes an admin
  list                           list users, with their roles and whether they are disabled
  show <sub|email>               show one user
  delete <sub|email>             delete a user and everything issued to them
  set-password <sub|email> [--password-stdin]
                                 set a user's password
  grant-role <sub|email> <role>  give a role (admin: the console and the admin API)
  revoke-role <sub|email> <role> take a role away; taking admin away ends their admin tokens
  disable <sub|email>            the user cannot sign in; their grants, tokens and sessions end
  enable <sub|email>             the user can sign in again
  identities <sub|email>         the upstream identities linked to the user (federation)
  unlink <sub|email> <connection> <upstream-sub>
                                 remove one linked identity
  reset-factors <sub|email>      remove the user's authenticator app, recovery codes and passkeys
                                 (a lost device); they enrol again when a sign-in needs one

Options: --json, --help
Example: printf '%s' "$PASSWORD" | latch users create --email ada@example.com --password-stdin
         latch users grant-role ada@example.com admin
`;

const usersCreate = `Usage: latch users create --email E [--name N] [--email-verified] [--role R]... [--password-stdin] [--json]

--role gives a role (repeatable); --role admin lets the user into the console and the admin API.
Role names are lower-case letters, digits, _ and -.

The password (at least 8 characters) is read from stdin with --password-stdin (one trailing
newline is dropped), otherwise asked for twice at the terminal.
`;

const clients = `Usage: latch clients <command> [options]

  create --name N --type web|spa|native|m2m|device [options]    register a client (see clients create --help)
  list                           list clients
  show <client_id>               show one client
  update <client_id> [options]   change redirect URIs, grant types, scopes, name, URLs (see clients update --help)
  rotate-secret <client_id> [--grace SECONDS]
                                 a new client secret, printed once; the old one keeps working for SECONDS
                                 (default 0: it stops at once; at most 30 days)
  delete <client_id>             delete a client and everything issued to it
  advise                         which --type fits your app ("Which flow should I use?")

Options: --json, --help
`;

const clientsAdvise = `Usage: latch clients advise [--json]

Prints the decision table of "Which flow should I use?"; at a terminal it asks the questions
(is there a user? does it have a browser? can it keep a secret?) and recommends a --type.
`;

const clientsCreate = `Usage: latch clients create --name N --type T [options]

Without --type at a terminal, you are asked a few questions and the type that fits is chosen.

Types:
  web      server-side web app: confidential (client secret), authorization code + refresh token
  spa      browser app: public, authorization code with PKCE + refresh token
  native   mobile or desktop app: public, PKCE; loopback, private-use scheme or https redirects
  m2m      machine to machine: confidential, client credentials, no redirects
  device   TV / CLI: public, device authorization grant + refresh token

Options (repeatable ones marked ...):
  --metadata-file F               an RFC 7591 / OpenID Connect registration metadata document (JSON; - for
                                  stdin): its members win over the type's defaults (scope replaces them),
                                  the flags below win over it; an unknown member is refused
  --redirect-uri U ...            redirect URI (required for web, spa, native), matched exactly: no wildcards
  --post-logout-redirect-uri U ...
  --grant-type G ...              override the grant types (authorization_code, refresh_token,
                                  client_credentials, urn:ietf:params:oauth:grant-type:device_code,
                                  implicit, password); implicit and password are discouraged (see README)
  --response-type R ...           override the response types: code, id_token, "id_token token" (implicit,
                                  needs --grant-type implicit), "code id_token", "code token",
                                  "code id_token token" (hybrid, needs authorization_code and implicit)
  --scope S ...                   scopes added to the type's defaults (web, spa, native, device: openid
                                  profile email address phone offline_access; m2m: none); each value may
                                  hold several, space-separated
  --no-default-scopes             the client gets only the --scope values, not the type's defaults
  --auth-method M                 client_secret_basic, client_secret_post, private_key_jwt or none
  --jwks-file F                   the client's public keys (JWK Set or one JWK), for private_key_jwt
  --id-token-alg A                RS256 (default), ES256, PS256 or EdDSA
  --client-id ID                  choose the client_id instead of a random one
  --default-resource URI          the API its access tokens are for when a request names no resource
  --allowed-origin O ...          a web origin (https://app.example.com) whose browser code may call
                                  /token, /revoke, /userinfo, /device_authorization (CORS); public
                                  clients only; the origins of its redirect URIs are always allowed
  --default-acr A ...             acr every sign-in to it needs (default_acr_values): urn:latch:acr:mfa
                                  (a second factor) or phr (a passkey); urn:latch:acr:pwd is one factor
  --logo-uri U, --client-uri U, --policy-uri U, --tos-uri U
                                  RFC 7591 URLs the consent page shows: https (or http on loopback)
  --profile fapi2                 the FAPI 2.0 Security Profile (private_key_jwt, PS256/ES256/EdDSA, PAR,
                                  DPoP, PKCE S256, code only); metadata against it is refused
  --json                          print the RFC 7591 client information as JSON

A client secret, when there is one, is printed once and never again.
`;

const clientsUpdate = `Usage: latch clients update <client_id> [options]

Changes a client; the result is checked like a new client (the same checks as clients create and
PATCH /admin/api/clients/{client_id}). A repeated flag replaces the whole list; "" alone empties it
(or removes a URL).

Options:
  --metadata-file F               a partial RFC 7591 / OpenID Connect metadata document (JSON; - for stdin):
                                  the members it names replace the client's, null removes one; the flags
                                  below win over it; a member fixed at creation or unknown is refused
  --name N
  --redirect-uri U ...            the redirect URIs, matched exactly
  --post-logout-redirect-uri U ...
  --grant-type G ...              the grant types (response types follow unless given)
  --response-type R ...
  --scope S ...                   exactly the client's scopes (space-separated values are split)
  --logo-uri U                    RFC 7591 URLs shown on the consent page: https (or http on loopback)
  --client-uri U
  --policy-uri U
  --tos-uri U
  --allowed-origin O ...          web origins of a public client's browser code (CORS)
  --default-acr A ...             acr every sign-in needs: urn:latch:acr:mfa or phr ("" alone: none)
  --json                          print the RFC 7591 client information as JSON
`;

const keys = `Usage: latch keys <command> [--json]

  list                           list signing keys: kid, algorithm, state (next, active, retired), creation time
  rotate                         next -> active -> retired for each algorithm: the published next key becomes
                                 active, a new next key is created, keys retired more than 30 days ago are
                                 deleted; running servers publish the change within a second or two
`;

const apis = `Usage: latch apis <command> [options]

  create --identifier URI [--scope S]... [--token-format jwt|opaque] [--ttl SECONDS] [--name N] [--alg A]
                                 register an API (see apis create --help)
  list                           list APIs
  show <identifier>              show one API
  update <identifier> [--name N] [--scope S]... [--token-format F] [--ttl SECONDS] [--alg A]
         [--introspect-client ID]...
                                 change an API; --scope replaces its scopes (with descriptions, as in
                                 create), --introspect-client replaces the clients that may introspect
                                 its tokens ("" for none)
  delete <identifier>            delete an API; tokens issued for it fail introspection from then on

Options: --json, --help
`;

const apisCreate = `Usage: latch apis create --identifier URI [options]

Registers an API (a resource server). Clients ask for a token for it with the RFC 8707 resource
parameter (resource=URI), or get it by default (clients create --default-resource URI). Its tokens
carry the identifier as audience and only the scopes below that the client may use.

Options:
  --identifier URI                the audience: an absolute URI without fragment, e.g. https://photos.example
  --scope S ...                   scopes the API defines (e.g. read:photos); each value may hold several.
                                  'read:photos=See your photos' also gives the scope's description,
                                  shown on the consent page. A client also needs them in its own
                                  --scope to ask for them.
  --token-format F                jwt (default: RFC 9068 JWT access tokens, checked locally with the JWKS)
                                  or opaque (random values, checked with /introspect)
  --ttl SECONDS                   access token lifetime (default 3600, at most 86400)
  --name N                        a display name (default: the identifier's host)
  --alg A                         JWT signing algorithm: ES256 (default), RS256, PS256 or EdDSA
  --introspect-client ID ...      a confidential client (usually the API's own m2m client) that may
                                  introspect this API's access tokens; /introspect tells any other
                                  client, except the one a token was issued to, {"active": false}
  --json                          print the API as JSON
`;

const grants = `Usage: latch grants <command> [options]

  list --user <sub|email>        the authorizations a person gave to applications
  revoke <grant_id>              revoke a grant and every access and refresh token issued from it

Options: --json, --help
`;

const purge = `Usage: latch purge [--batch-size N] [--json]

Deletes now what the servers purge every LATCH_PURGE_INTERVAL seconds: expired authorization codes, device
codes, tokens, sessions, interactions, replay entries, rate-limit windows, sign-in states, account links
and passkey challenges, and the events older than LATCH_EVENT_RETENTION_DAYS. Safe while servers run: each
statement deletes at most N rows (default 1000 on SQLite, 5000 on PostgreSQL) in its own short transaction.
On PostgreSQL one instance purges at a time; if another is purging, nothing is done here (exit 0).
Prints the rows deleted per table.
`;

const backup = `Usage: latch backup <file> [--force] [--json]

SQLite: writes a consistent copy of LATCH_DATA_DIR/latch.db to <file> while servers keep running (VACUUM
INTO: one snapshot, checked with PRAGMA integrity_check). An existing <file> is replaced only with --force.
The signing keys in the copy are encrypted with the secret (LATCH_SECRET or <dataDir>/secret.key), which
is not in it: keep the secret with the copy. To restore: stop Latch, put the copy in place as latch.db in
the data directory, remove latch.db-wal and latch.db-shm there, and start Latch with the same secret.

PostgreSQL: prints the pg_dump command for LATCH_DATABASE_URL and exits 1 (pg_dump is the tool there).
`;

export const usage = { main, start, migrate, users, usersCreate, clients, clientsCreate, clientsUpdate, clientsAdvise, keys, apis, apisCreate, grants, purge, backup } as const;
