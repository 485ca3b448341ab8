import { AdminInputError, apiToJson, createApi, deleteApi, findApi, parseScopeArguments, updateApi, type ApiPatch, type CreateApiInput } from '../../admin/apis.js';
import type { AccessTokenFormat, ApiRecord } from '../../storage/types.js';
import { expectPositionals, parse } from '../args.js';
import type { CommandContext } from '../context.js';
import { isoTime, table, UsageError } from '../io.js';
import { commandGroup } from '../subcommands.js';
import { usage } from '../usage.js';

export const apisCommand = commandGroup('apis', usage.apis, { create, list, show, update, delete: remove });

function describe(api: ApiRecord): string[] {
  return [
    `identifier:    ${api.identifier}`,
    `scopes:        ${api.scopes.map((s) => (api.scopeDescriptions?.[s] ? `${s} (${api.scopeDescriptions[s]})` : s)).join(' ') || '(none)'}`,
    `token format:  ${api.tokenFormat}${api.tokenFormat === 'jwt' ? ` (RFC 9068, ${api.signingAlg})` : ' (check with /introspect)'}`,
    `token ttl:     ${api.accessTokenTtl} s`,
    `introspection: ${api.introspectionClients.join(' ') || '(only the client a token was issued to)'}`,
  ];
}

async function create(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    identifier: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'token-format': { type: 'string' },
    ttl: { type: 'string' },
    alg: { type: 'string' },
    'introspect-client': { type: 'string', multiple: true },
  });
  if (values.help) {
    ctx.io.stdout.write(usage.apisCreate);
    return 0;
  }
  expectPositionals(positionals, [], 'apis create');
  if (values.identifier === undefined) throw new UsageError('--identifier is required (the API\'s URI, e.g. https://photos.example)');
  const input: CreateApiInput = { identifier: values.identifier };
  if (values.name !== undefined) input.name = values.name;
  if (values.scope) {
    // 'read:photos=See your photos': the scope and its description for the consent page.
    const { scopes, scopeDescriptions } = parseScopeArguments(values.scope);
    input.scopes = scopes;
    input.scopeDescriptions = scopeDescriptions;
  }
  if (values['token-format'] !== undefined) input.tokenFormat = values['token-format'] as AccessTokenFormat;
  if (values.ttl !== undefined) {
    if (!/^\d+$/.test(values.ttl)) throw new AdminInputError('access_token_ttl', `"${values.ttl}" is not a whole number of seconds`);
    input.accessTokenTtl = Number(values.ttl);
  }
  if (values.alg !== undefined) input.signingAlg = values.alg;
  if (values['introspect-client']) input.introspectionClients = values['introspect-client'];

  const api = await ctx.withStore((store) => createApi(store, input));
  const lines = [`Created API "${api.name}"`, '', ...describe(api).map((l) => `  ${l}`), ''];
  lines.push(
    'Clients ask for its tokens with resource=' + api.identifier + ' and need its scopes in their own',
    'allowed scopes (latch clients create ... --scope "openid ' + (api.scopes.join(' ') || '<scope>') + '").',
  );
  ctx.print(values.json, apiToJson(api), lines.join('\n'));
  return 0;
}

async function list(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.apis);
    return 0;
  }
  expectPositionals(positionals, [], 'apis list');
  const apis = await ctx.withStore((store) => store.apis.list());
  const text =
    apis.length === 0
      ? 'No APIs yet. Register one with: latch apis create --identifier https://api.example --scope read:things'
      : table(
          ['IDENTIFIER', 'NAME', 'FORMAT', 'TTL', 'SCOPES', 'CREATED'],
          apis.map((a) => [a.identifier, a.name, a.tokenFormat, String(a.accessTokenTtl), a.scopes.join(' ') || '-', isoTime(a.createdAt)]),
        );
  ctx.print(values.json, { apis: apis.map(apiToJson) }, text);
  return 0;
}

async function show(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.apis);
    return 0;
  }
  const [identifier] = expectPositionals(positionals, ['identifier'], 'apis show');
  const api = await ctx.withStore((store) => findApi(store, identifier!));
  const text = [`${api.name}`, ...describe(api).map((l) => `  ${l}`), `  created:       ${isoTime(api.createdAt)}`].join('\n');
  ctx.print(values.json, apiToJson(api), text);
  return 0;
}

async function update(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'token-format': { type: 'string' },
    ttl: { type: 'string' },
    alg: { type: 'string' },
    'introspect-client': { type: 'string', multiple: true },
  });
  if (values.help) {
    ctx.io.stdout.write(usage.apis);
    return 0;
  }
  const [identifier] = expectPositionals(positionals, ['identifier'], 'apis update');
  const patch: ApiPatch = {};
  if (values.name !== undefined) patch.name = values.name;
  if (values.scope) {
    const { scopes, scopeDescriptions } = parseScopeArguments(values.scope.filter((s) => s !== ''));
    patch.scopes = scopes;
    patch.scope_descriptions = scopeDescriptions;
  }
  if (values['token-format'] !== undefined) patch.token_format = values['token-format'] as AccessTokenFormat;
  if (values.ttl !== undefined) {
    if (!/^\d+$/.test(values.ttl)) throw new AdminInputError('access_token_ttl', `"${values.ttl}" is not a whole number of seconds`);
    patch.access_token_ttl = Number(values.ttl);
  }
  if (values.alg !== undefined) patch.signing_alg = values.alg;
  if (values['introspect-client']) patch.introspection_clients = values['introspect-client'];
  if (Object.keys(patch).length === 0) {
    throw new UsageError('apis update: nothing to change (give --name, --scope, --token-format, --ttl, --alg or --introspect-client)');
  }
  const api = await ctx.withStore((store) => updateApi(store, identifier!, patch));
  ctx.print(values.json, apiToJson(api), [`Updated API ${api.identifier}`, ...describe(api).map((l) => `  ${l}`)].join('\n'));
  return 0;
}

async function remove(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) {
    ctx.io.stdout.write(usage.apis);
    return 0;
  }
  const [identifier] = expectPositionals(positionals, ['identifier'], 'apis delete');
  const api = await ctx.withStore((store) => deleteApi(store, identifier!));
  ctx.print(
    values.json,
    { deleted: true, identifier: api.identifier },
    `Deleted API ${api.identifier}; the tokens issued for it no longer pass introspection`,
  );
  return 0;
}
