import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { AdminInputError, clientToJson, createClient, deleteClient, type CreateClientInput } from '../../admin/clients.js';
import type { ClientKind, ClientRecord, TokenEndpointAuthMethod } from '../../storage/types.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { decisionRows, decisionTable } from '../flow-advisor.js';
import { askClientKind } from '../flow-questions.js';
import { CliError, isoTime, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { usage } from '../usage.js';

export const clientsCommand = commandGroup('clients', usage.clients, { create, list, show, delete: remove, advise });

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

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
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
  });
  if (values.help) {
    ctx.io.stdout.write(usage.clientsCreate);
    return 0;
  }
  expectPositionals(positionals, [], 'clients create');
  if (values.name === undefined) throw new UsageError('--name is required');
  let kind = values.type as ClientKind | undefined;
  if (kind === undefined) {
    // Without --type at a terminal, ask the questions of "Which flow should I use?"; in a script, say what is missing.
    if (ctx.io.stdin.isTTY !== true) throw new UsageError('--type is required (web, spa, native, m2m or device); `latch clients advise` helps choose');
    kind = await askClientKind(ctx.io);
  }

  const input: CreateClientInput = { name: values.name, kind };
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

  const { client, clientSecret } = await ctx.withStore((store) => createClient(store, input));
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
