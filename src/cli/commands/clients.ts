import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { AdminInputError, clientToJson, EXTENDED_MEMBERS, createClient, deleteClient, inputFromDocument, patchFromDocument, rotateClientSecret, updateClient, type ClientPatch, type CreateClientInput } from '../../admin/clients.js';
import type { ClientKind, ClientRecord, TokenEndpointAuthMethod } from '../../storage/types.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { decisionRows, decisionTable } from '../flow-advisor.js';
import { askClientKind } from '../flow-questions.js';
import { CliError, isoTime, readAll, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { usage } from '../usage.js';

export const clientsCommand = commandGroup('clients', usage.clients, { create, list, show, update, 'rotate-secret': rotateSecret, delete: remove, advise });

async function readJwks(file: string): Promise<{ keys: JWK[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new AdminInputError('jwks', `cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  // A single JWK is accepted too, and wrapped in a set.
  if (typeof parsed === 'object' && parsed !== null && 'kty' in parsed && !('keys' in parsed)) return { keys: [parsed as JWK] };
  return parsed as { keys: JWK[] };
}

/** An RFC 7591 / OIDC registration metadata document, from a file or (`-`) stdin. */
async function readMetadataFile(ctx: CommandContext, file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(file === '-' ? await readAll(ctx.io.stdin) : await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--metadata-file: cannot read ${file === '-' ? 'stdin' : file} as JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--metadata-file: must hold one JSON object of client metadata (RFC 7591 §2)');
  return parsed as Record<string, unknown>;
}

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    'metadata-file': { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    'response-type': { type: 'string', multiple: true },
    scope: { type: 'string', multiple: true },
    'no-default-scopes': { type: 'boolean' },
    'auth-method': { type: 'string' },
    'jwks-file': { type: 'string' },
    'id-token-alg': { type: 'string' },
    'client-id': { type: 'string' },
    'default-resource': { type: 'string' },
    'allowed-origin': { type: 'string', multiple: true },
    'default-acr': { type: 'string', multiple: true },
    'logo-uri': { type: 'string' },
    'client-uri': { type: 'string' },
    'policy-uri': { type: 'string' },
    'tos-uri': { type: 'string' },
    profile: { type: 'string' },
  });
  if (values.help) {
    ctx.io.stdout.write(usage.clientsCreate);
    return 0;
  }
  expectPositionals(positionals, [], 'clients create');
  const document = values['metadata-file'] === undefined ? undefined : await readMetadataFile(ctx, values['metadata-file']);
  if (values.name === undefined && typeof document?.client_name !== 'string') throw new UsageError('--name is required');
  let kind = (values.type ?? document?.latch_client_kind) as ClientKind | undefined;
  if (kind === undefined) {
    // Without --type at a terminal, ask the questions of "Which flow should I use?"; in a script, say what is missing.
    if (ctx.io.stdin.isTTY !== true) throw new UsageError('--type is required (web, spa, native, m2m or device); `latch clients advise` helps choose');
    kind = await askClientKind(ctx.io);
  }

  // The file's members win over the type's defaults; the flags are shortcuts that win over the file.
  const input: CreateClientInput = document === undefined ? { name: values.name ?? '', kind } : inputFromDocument(document, 'operator', { name: values.name ?? '', kind });
  if (values.name !== undefined) input.name = values.name;
  if (values.type !== undefined) input.kind = values.type as ClientKind;
  if (values['redirect-uri']) input.redirectUris = values['redirect-uri'];
  if (values['post-logout-redirect-uri']) input.postLogoutRedirectUris = values['post-logout-redirect-uri'];
  if (values['grant-type']) input.grantTypes = values['grant-type'];
  if (values['response-type']) input.responseTypes = values['response-type'];
  // --scope adds to the kind's default scopes (openid ... for a sign-in client); --no-default-scopes keeps only the given ones.
  if (values['no-default-scopes']) input.scopes = values.scope ?? [];
  else if (values.scope) input.extraScopes = values.scope;
  if (values['auth-method'] !== undefined) input.tokenEndpointAuthMethod = values['auth-method'] as TokenEndpointAuthMethod;
  if (values['jwks-file'] !== undefined) input.jwks = await readJwks(values['jwks-file']);
  if (values['id-token-alg'] !== undefined) input.idTokenSignedResponseAlg = values['id-token-alg'];
  if (values['client-id'] !== undefined) input.clientId = values['client-id'];
  if (values['default-resource'] !== undefined) input.defaultResource = values['default-resource'];
  if (values['allowed-origin']) input.allowedCorsOrigins = values['allowed-origin'];
  if (values['default-acr']) input.defaultAcrValues = values['default-acr'];
  if (values['logo-uri'] !== undefined) input.logoUri = values['logo-uri'];
  if (values['client-uri'] !== undefined) input.clientUri = values['client-uri'];
  if (values['policy-uri'] !== undefined) input.policyUri = values['policy-uri'];
  if (values['tos-uri'] !== undefined) input.tosUri = values['tos-uri'];
  if (values.profile !== undefined) input.profile = values.profile as 'fapi2';

  const policy = { allowPrivate: ctx.config().fetchAllowPrivate };
  const { client, clientSecret } = await ctx.withStore((store) => createClient(store, input, undefined, undefined, policy));
  const lines = [`Created ${client.metadata.latch_client_kind} client "${client.metadata.client_name}"`, '', `  client_id:     ${client.clientId}`];
  if (clientSecret !== undefined) lines.push(`  client_secret: ${clientSecret}`);
  lines.push('', ...describe(client).map((l) => `  ${l}`));
  if (clientSecret !== undefined) {
    lines.push('', 'The client secret is shown only this once: store it now. Latch keeps only its hash.');
  }
  ctx.print(values.json, clientToJson(client, clientSecret), lines.join('\n'));
  return 0;
}

function describe(client: ClientRecord): string[] {
  const m = client.metadata;
  const lines = [
    `auth method:   ${m.token_endpoint_auth_method}`,
    `grant types:   ${m.grant_types.join(', ')}`,
    `scope:         ${m.scope || '(none)'}`,
  ];
  if (m.redirect_uris.length > 0) lines.push(`redirect URIs: ${m.redirect_uris.join(', ')}`);
  if (m.post_logout_redirect_uris.length > 0) lines.push(`post-logout:   ${m.post_logout_redirect_uris.join(', ')}`);
  if (m.latch_default_resource !== undefined) lines.push(`default API:   ${m.latch_default_resource}`);
  for (const [label, value] of [['logo:', m.logo_uri], ['home page:', m.client_uri], ['privacy:', m.policy_uri], ['terms:', m.tos_uri]] as const) {
    if (value !== undefined) lines.push(`${label.padEnd(15)}${value}`);
  }
  const others = EXTENDED_MEMBERS.filter((k) => m[k] !== undefined).map((k) => `${k}=${JSON.stringify(m[k])}`);
  if (others.length > 0) lines.push(`metadata:      ${others.join(', ')}`);
  if (m.latch_registered === true) lines.push('registered:    by the client itself (POST /register)');
  if (client.previousSecret) lines.push(`old secret:    accepted until ${isoTime(client.previousSecret.expiresAt)}`);
  return lines;
}

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.clients);
    return 0;
  }
  expectPositionals(positionals, [], 'clients list');
  const clients = await ctx.withStore((store) => store.clients.list());
  const text =
    clients.length === 0
      ? 'No clients yet. Create one with: latch clients create --name "My app" --type web --redirect-uri https://app.example/callback'
      : table(
          ['CLIENT_ID', 'TYPE', 'NAME', 'AUTH', 'CREATED'],
          clients.map((c) => [
            c.clientId,
            c.metadata.latch_client_kind,
            c.metadata.client_name,
            c.metadata.token_endpoint_auth_method,
            isoTime(c.createdAt),
          ]),
        );
  ctx.print(values.json, { clients: clients.map((c) => clientToJson(c)) }, text);
  return 0;
}

async function show(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.clients);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['client_id'], 'clients show');
  const client = await ctx.withStore((store) => store.clients.find(id!));
  if (!client) throw new CliError(`client not found: ${id}`);
  const m = client.metadata;
  const text = [
    `${m.client_name} (${m.latch_client_kind})`,
    `  client_id:     ${client.clientId}`,
    `  created:       ${isoTime(client.createdAt)}`,
    ...describe(client).map((l) => `  ${l}`),
    `  id token alg:  ${m.id_token_signed_response_alg}`,
  ].join('\n');
  ctx.print(values.json, clientToJson(client), text);
  return 0;
}

/** `latch clients update <id>`: the same service and checks as PATCH /admin/api/clients/{id}. */
async function update(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    'metadata-file': { type: 'string' },
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    'response-type': { type: 'string', multiple: true },
    scope: { type: 'string', multiple: true },
    'logo-uri': { type: 'string' },
    'client-uri': { type: 'string' },
    'policy-uri': { type: 'string' },
    'tos-uri': { type: 'string' },
    'allowed-origin': { type: 'string', multiple: true },
    'default-acr': { type: 'string', multiple: true },
  });
  if (values.help) {
    ctx.io.stdout.write(usage.clientsUpdate);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['client_id'], 'clients update');
  // A list flag replaces the whole list; "" alone empties it.
  const list = (given: string[] | undefined) => given?.filter((v) => v !== '');
  // A partial metadata document first; the flags, as shortcuts, win over it.
  let patch: ClientPatch = {};
  if (values['metadata-file'] !== undefined) {
    const fromFile = patchFromDocument(await readMetadataFile(ctx, values['metadata-file']));
    patch = fromFile.patch as ClientPatch;
    if (Object.keys(fromFile.members).length > 0) patch.members = fromFile.members;
  }
  if (values.name !== undefined) patch.client_name = values.name;
  if (values['redirect-uri']) patch.redirect_uris = list(values['redirect-uri']);
  if (values['post-logout-redirect-uri']) patch.post_logout_redirect_uris = list(values['post-logout-redirect-uri']);
  if (values['grant-type']) patch.grant_types = list(values['grant-type']);
  if (values['response-type']) patch.response_types = list(values['response-type']);
  if (values.scope) patch.scope = values.scope.join(' ').trim();
  if (values['allowed-origin']) patch.allowed_cors_origins = list(values['allowed-origin']);
  if (values['default-acr']) patch.default_acr_values = list(values['default-acr']);
  // "" removes the URL.
  const url = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);
  if (values['logo-uri'] !== undefined) patch.logo_uri = url(values['logo-uri']);
  if (values['client-uri'] !== undefined) patch.client_uri = url(values['client-uri']);
  if (values['policy-uri'] !== undefined) patch.policy_uri = url(values['policy-uri']);
  if (values['tos-uri'] !== undefined) patch.tos_uri = url(values['tos-uri']);
  if (Object.keys(patch).length === 0) throw new UsageError('clients update: nothing to change (see latch clients update --help)');
  const client = await ctx.withStore((store) => updateClient(store, id!, patch, undefined, undefined, { allowPrivate: ctx.config().fetchAllowPrivate }));
  ctx.print(values.json, clientToJson(client), [`Updated client ${client.clientId} ("${client.metadata.client_name}")`, ...describe(client).map((l) => `  ${l}`)].join('\n'));
  return 0;
}

/** `latch clients rotate-secret <id> [--grace <seconds>]`: a new secret, printed once; the old one works during the grace. */
async function rotateSecret(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { grace: { type: 'string' } });
  if (values.help) {
    ctx.io.stdout.write(usage.clients);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['client_id'], 'clients rotate-secret');
  let graceSeconds = 0;
  if (values.grace !== undefined) {
    if (!/^\d+$/.test(values.grace)) throw new AdminInputError('grace_seconds', `"${values.grace}" is not a whole number of seconds`);
    graceSeconds = Number(values.grace);
  }
  const { client, clientSecret } = await ctx.withStore((store) => rotateClientSecret(store, id!, { graceSeconds }));
  const lines = [`New secret for client ${client.clientId}`, '', `  client_secret: ${clientSecret}`, ''];
  lines.push(
    client.previousSecret
      ? `The old secret keeps working until ${isoTime(client.previousSecret.expiresAt)}; then only the new one does.`
      : 'The old secret stopped working now.',
    'The new secret is shown only this once: store it now. Latch keeps only its hash.',
  );
  ctx.print(
    values.json,
    { client_id: client.clientId, client_secret: clientSecret, client_secret_expires_at: 0, previous_secret_expires_at: client.previousSecret?.expiresAt ?? null },
    lines.join('\n'),
  );
  return 0;
}

async function remove(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.clients);
    return 0;
  }
  const [id] = expectPositionals(positionals, ['client_id'], 'clients delete');
  const client = await ctx.withStore((store) => deleteClient(store, id!));
  ctx.print(
    values.json,
    { deleted: true, client_id: client.clientId },
    `Deleted client ${client.clientId} ("${client.metadata.client_name}") and everything issued to it`,
  );
  return 0;
}

/** `latch clients advise`: the "Which flow should I use?" decision table; at a terminal, the questions too. */
async function advise(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.clientsAdvise);
    return 0;
  }
  expectPositionals(positionals, [], 'clients advise');
  if (values.json || ctx.io.stdin.isTTY !== true) {
    ctx.print(values.json, { decision_table: decisionRows }, `Which flow should I use?\n\n${decisionTable()}`);
    return 0;
  }
  const kind = await askClientKind(ctx.io);
  ctx.io.stdout.write(`Create it with: latch clients create --name "My app" --type ${kind}${kind === 'm2m' || kind === 'device' ? '' : ' --redirect-uri <uri>'}\n`);
  return 0;
}
