/** APIs (RFC 8707 resources): list, create with scopes and their descriptions, edit, delete. */
import { useEffect, useState } from 'preact/hooks';
import { enc, type Page } from '../api.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { ConfirmButton, ErrorBox, Field, fieldErrors, FormError, lines, Loading, PageHeader, useLoad } from '../ui.js';

interface ApiJson {
  identifier: string;
  name: string;
  scopes: string[];
  scope_descriptions?: Record<string, string>;
  token_format: string;
  access_token_ttl: number;
}

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

export function ApisPage() {
  const { api } = useConsole();
  const { data, error } = useLoad(() => api.get<Page<ApiJson>>('/apis', { limit: 100 }), []);
  return (
    <>
      <PageHeader title="APIs">
        <a class="button button-primary" href={href('apis/new')}>
          Register API
        </a>
      </PageHeader>
      {error ? <ErrorBox error={error} /> : !data ? <Loading what="APIs" /> : (
        <div class="table-wrap">
        <table>
          <caption class="visually-hidden">APIs</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Identifier</th>
              <th scope="col">Scopes</th>
              <th scope="col">Tokens</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((a) => (
              <tr key={a.identifier}>
                <td>
                  <a href={href(`apis/${enc(a.identifier)}`)}>{a.name}</a>
                </td>
                <td>
                  <code>{a.identifier}</code>
                </td>
                <td>{a.scopes.join(' ')}</td>
                <td>{a.token_format}</td>
              </tr>
            ))}
          </tbody>
        </table>
          </div>
      )}
    </>
  );
}

export function ApiForm({ existing }: { existing?: ApiJson }) {
  const { api, notify } = useConsole();
  const [identifier, setIdentifier] = useState(existing?.identifier ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [scopes, setScopes] = useState(existing ? scopesToText(existing) : '');
  const [format, setFormat] = useState(existing?.token_format ?? 'jwt');
  const [ttl, setTtl] = useState(String(existing?.access_token_ttl ?? 3600));
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  useEffect(() => {
    if (!existing) return;
    setName(existing.name);
    setScopes(scopesToText(existing));
    setFormat(existing.token_format);
    setTtl(String(existing.access_token_ttl));
  }, [existing]);
  const err = (field: string) => (error?.field?.split(/[.[]/)[0] === field ? error.message : undefined);
  return (
    <form
      class="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        const body = { name, ...parseScopes(scopes), token_format: format, access_token_ttl: Number(ttl) };
        try {
          if (existing) {
            await api.send('PATCH', `/apis/${enc(existing.identifier)}`, body);
            notify({ kind: 'success', text: 'API saved.' });
          } else {
            const created = await api.send<ApiJson>('POST', '/apis', { identifier, ...body });
            notify({ kind: 'success', text: `API ${created.name} registered.` });
            navigate(`apis/${enc(created.identifier)}`);
          }
        } catch (err) {
          setError(fieldErrors(err));
        }
      }}
    >
      <FormError error={error} />
      {existing ? null : (
        <Field label="Identifier" name="identifier" required value={identifier} onInput={setIdentifier} hint="An absolute URI, the audience of its tokens (e.g. https://api.example.com)." error={err('identifier')} />
      )}
      <Field label="Name" name="name" required value={name} onInput={setName} error={err('name')} />
      <Field label="Scopes" name="scopes" multiline value={scopes} onInput={setScopes} hint={scopesHint} error={err('scopes') ?? err('scope_descriptions')} />
      <div class="field">
        <label for="token_format">Access token format</label>
        <select id="token_format" name="token_format" value={format} onChange={(e) => setFormat((e.currentTarget as HTMLSelectElement).value)}>
          <option value="jwt">JWT (RFC 9068), verified by the API itself</option>
          <option value="opaque">Opaque, checked by introspection</option>
        </select>
      </div>
      <Field label="Access token lifetime (seconds)" name="access_token_ttl" type="number" required value={ttl} onInput={setTtl} error={err('access_token_ttl')} />
      <button type="submit" class="button button-primary">
        {existing ? 'Save' : 'Register API'}
      </button>
    </form>
  );
}

export function NewApiPage() {
  return (
    <>
      <PageHeader title="Register API" />
      <ApiForm />
    </>
  );
}

export function ApiPage({ id }: { id: string }) {
  const { api, notify } = useConsole();
  const { data, error } = useLoad(() => api.get<ApiJson>(`/apis/${enc(id)}`), [id]);
  if (error) return <><PageHeader title="API" /><ErrorBox error={error} /></>;
  if (!data) return <Loading what="the API" />;
  return (
    <>
      <PageHeader title={data.name} />
      <dl class="facts">
        <dt>Identifier</dt>
        <dd>
          <code>{data.identifier}</code>
        </dd>
      </dl>
      <ApiForm existing={data} />
      <section class="stack danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete</h2>
        <ConfirmButton
          label="Delete API"
          question={`Delete ${data.name}? Every token issued for it stops working.`}
          confirmLabel="Delete"
          onConfirm={async () => {
            try {
              await api.send('DELETE', `/apis/${enc(id)}`);
              notify({ kind: 'success', text: `API ${data.name} deleted.` });
              navigate('apis');
            } catch (err) {
              notify({ kind: 'error', text: fieldErrors(err).message });
            }
          }}
        />
      </section>
      <p>
        <a href={href('apis')}>Back to APIs</a>
      </p>
    </>
  );
}
