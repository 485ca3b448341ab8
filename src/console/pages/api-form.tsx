/**
 * An API's settings, for registering and for editing: everything `latch apis create` and `latch apis update` take
 * (name, scopes with descriptions, token format, lifetime, signing algorithm, introspection clients).
 */
import { useEffect, useState } from 'preact/hooks';
import { enc, type Api, type Page } from '../api.js';
import { CheckboxGroup, Select } from '../choices.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { Field, fieldErrors, FormError, lines, useLoad } from '../ui.js';
import type { ClientJson } from './apps.js';

export interface ApiJson {
  identifier: string;
  name: string;
  scopes: string[];
  scope_descriptions?: Record<string, string>;
  token_format: string;
  access_token_ttl: number;
  signing_alg: string;
  introspection_clients: string[];
}

const FORMATS = [
  { value: 'jwt', label: 'JWT (RFC 9068), verified by the API itself' },
  { value: 'opaque', label: 'Opaque, checked by introspection' },
];
const ALGS = [
  { value: 'ES256', label: 'ES256 (default)' },
  { value: 'RS256', label: 'RS256' },
  { value: 'PS256', label: 'PS256' },
  { value: 'EdDSA', label: 'EdDSA' },
];

/** "read:photos=See your photos" per line, the same as `latch apis create --scope`. */
function scopesToText(api: Pick<ApiJson, 'scopes' | 'scope_descriptions'>): string {
  return api.scopes.map((s) => (api.scope_descriptions?.[s] ? `${s}=${api.scope_descriptions[s]}` : s)).join('\n');
}

function parseScopes(text: string): { scopes: string[]; scope_descriptions: Record<string, string> } {
  const scopes: string[] = [];
  const scope_descriptions: Record<string, string> = {};
  for (const line of lines(text)) {
    const at = line.indexOf('=');
    const scope = (at < 0 ? line : line.slice(0, at)).trim();
    scopes.push(scope);
    if (at >= 0 && line.slice(at + 1).trim()) scope_descriptions[scope] = line.slice(at + 1).trim();
  }
  return { scopes, scope_descriptions };
}

const scopesHint = 'One scope per line, optionally with what it lets an app do, as people will read it on the consent page: read:photos=See your photos';

/** Every confidential client (RFC 7662 §2.1: introspection needs client authentication), page by page. */
async function confidentialClients(api: Api): Promise<ClientJson[]> {
  const all: ClientJson[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await api.get<Page<ClientJson>>('/clients', { limit: 200, cursor });
    all.push(...result.items.filter((c) => c.token_endpoint_auth_method !== 'none'));
    if (!result.next_cursor) break;
    cursor = result.next_cursor;
  }
  return all;
}

interface Form {
  identifier: string;
  name: string;
  scopes: string;
  token_format: string;
  access_token_ttl: string;
  signing_alg: string;
  introspection_clients: string[];
}

const blank: Form = { identifier: '', name: '', scopes: '', token_format: 'jwt', access_token_ttl: '3600', signing_alg: 'ES256', introspection_clients: [] };

function toForm(a: ApiJson): Form {
  return {
    identifier: a.identifier,
    name: a.name,
    scopes: scopesToText(a),
    token_format: a.token_format,
    access_token_ttl: String(a.access_token_ttl),
    signing_alg: a.signing_alg,
    introspection_clients: a.introspection_clients ?? [],
  };
}

/** The members that differ from `before` (all of them for a new API). */
function bodyOf(form: Form, before: ApiJson | undefined): Record<string, unknown> {
  const parsed = parseScopes(form.scopes);
  const ttl = form.access_token_ttl.trim() === '' ? Number.NaN : Number(form.access_token_ttl);
  const all: Record<string, unknown> = {
    name: form.name,
    ...parsed,
    token_format: form.token_format,
    // A number the server can name as wrong (not a number: sent as written, so the answer says which field).
    access_token_ttl: Number.isFinite(ttl) ? ttl : form.access_token_ttl,
    signing_alg: form.signing_alg,
    introspection_clients: form.introspection_clients,
  };
  if (!before) return all;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const was: Record<string, unknown> = {
    name: before.name,
    scopes: before.scopes,
    scope_descriptions: before.scope_descriptions ?? {},
    token_format: before.token_format,
    access_token_ttl: before.access_token_ttl,
    signing_alg: before.signing_alg,
    introspection_clients: before.introspection_clients ?? [],
  };
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    const sorted = (v: unknown) => (key === 'introspection_clients' && Array.isArray(v) ? [...v].sort() : v);
    if (!same(sorted(value), sorted(was[key]))) body[key] = value;
  }
  // Scopes and their descriptions go together: the server checks each description against the scopes.
  if ('scopes' in body || 'scope_descriptions' in body) Object.assign(body, parsed);
  return body;
}

export function ApiForm({ existing, onSaved }: { existing?: ApiJson; onSaved?: () => void }) {
  const { api, notify } = useConsole();
  const [form, setForm] = useState<Form>(existing ? toForm(existing) : blank);
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const clients = useLoad(() => confidentialClients(api), []);
  useEffect(() => {
    if (existing) setForm(toForm(existing));
  }, [existing]);
  const err = (field: string) => (error?.field?.split(/[.[]/)[0] === field ? error.message : undefined);
  const set = (key: Exclude<keyof Form, 'introspection_clients'>) => (value: string) => setForm({ ...form, [key]: value });
  const known = clients.data ?? [];
  // A client already allowed but not in the list (deleted since, or beyond the pages read) stays visible.
  const options = [
    ...known.map((c) => ({ value: c.client_id, label: c.client_name && c.client_name !== c.client_id ? `${c.client_name} (${c.client_id})` : c.client_id })),
    ...form.introspection_clients.filter((id) => !known.some((c) => c.client_id === id)).map((id) => ({ value: id, label: id })),
  ];
  return (
    <form
      class="stack"
      aria-labelledby={existing ? 'api-settings-title' : undefined}
      aria-label={existing ? undefined : 'New API'}
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        notify(undefined);
        const body = bodyOf(form, existing);
        try {
          if (existing) {
            if (Object.keys(body).length === 0) return notify({ kind: 'success', text: 'Nothing changed.' });
            await api.send('PATCH', `/apis/${enc(existing.identifier)}`, body);
            notify({ kind: 'success', text: 'API saved.' });
            onSaved?.();
          } else {
            const created = await api.send<ApiJson>('POST', '/apis', { identifier: form.identifier, ...body });
            notify({ kind: 'success', text: `API ${created.name} registered.` });
            navigate(`apis/${enc(created.identifier)}`);
          }
        } catch (err) {
          setError(fieldErrors(err));
        }
      }}
    >
      {existing ? <h2 id="api-settings-title">Settings</h2> : null}
      <FormError error={error} />
      {existing ? null : (
        <Field label="Identifier" name="identifier" required value={form.identifier} onInput={set('identifier')} hint="An absolute URI, the audience of its tokens (e.g. https://api.example.com)." error={err('identifier')} />
      )}
      <Field label="Name" name="name" required value={form.name} onInput={set('name')} error={err('name')} />
      <Field label="Scopes" name="scopes" multiline value={form.scopes} onInput={set('scopes')} hint={scopesHint} error={err('scopes') ?? err('scope_descriptions')} />
      <Select label="Access token format" name="token_format" value={form.token_format} options={FORMATS} onChange={set('token_format')} error={err('token_format')} />
      <Field label="Access token lifetime (seconds)" name="access_token_ttl" type="number" required value={form.access_token_ttl} onInput={set('access_token_ttl')} hint="From 1 to 86400 (a day)." error={err('access_token_ttl')} />
      <Select
        label="Signing algorithm"
        name="signing_alg"
        value={form.signing_alg}
        options={ALGS}
        onChange={set('signing_alg')}
        hint="For the JWT format: the algorithm Latch signs its access tokens with (the API checks them with Latch's JWKS)."
        error={err('signing_alg')}
      />
      <CheckboxGroup
        legend="Introspection clients"
        name="introspection_clients"
        value={form.introspection_clients}
        options={options}
        onChange={(introspection_clients) => setForm({ ...form, introspection_clients })}
        hint="Confidential clients (usually the API's own machine-to-machine client) that may ask /introspect about this API's tokens, besides the client a token was issued to."
        empty={clients.error ? `The applications could not be listed: ${clients.error.message}` : clients.data ? 'No confidential applications yet.' : 'Loading applications…'}
        error={err('introspection_clients')}
      />
      {clients.data && known.length === 0 ? (
        <p class="hint">
          <a href={href('apps/new')}>Create a machine-to-machine application</a> for the API to introspect with.
        </p>
      ) : null}
      <button type="submit" class="button button-primary">
        {existing ? 'Save' : 'Register API'}
      </button>
    </form>
  );
}
