/** APIs (RFC 8707 resources): list, register, edit (api-form.tsx), delete. */
import { useState } from 'preact/hooks';
import { enc, type Page } from '../api.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { ConfirmButton, ErrorBox, fieldErrors, Loading, PageHeader, Search, useLoad } from '../ui.js';
import { ApiForm, type ApiJson } from './api-form.js';

export function ApisPage({ search }: { search: URLSearchParams }) {
  const { api } = useConsole();
  const [q, setQ] = useState(search.get('q') ?? '');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const { data, error } = useLoad(() => api.get<Page<ApiJson>>('/apis', { q, cursor, limit: 50 }), [q, cursor]);
  return (
    <>
      <PageHeader title="APIs">
        <a class="button button-primary" href={href('apis/new')}>
          Register API
        </a>
      </PageHeader>
      <Search label="Search APIs" value={q} onSearch={(v) => (setCursor(undefined), setQ(v))} />
      {error ? <ErrorBox error={error} /> : !data ? <Loading what="APIs" /> : (
        <>
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
            {data.items.length === 0 ? (
              <tr>
                <td colSpan={4}>No APIs{q ? ` match “${q}”` : ' yet'}.</td>
              </tr>
            ) : data.items.map((a) => (
              <tr key={a.identifier}>
                <td>
                  <a href={href(`apis/${enc(a.identifier)}`)}>{a.name}</a>
                </td>
                <td>
                  <code>{a.identifier}</code>
                </td>
                <td>{a.scopes.join(' ')}</td>
                <td>{a.token_format === 'jwt' ? `JWT (${a.signing_alg})` : 'opaque'}</td>
              </tr>
            ))}
          </tbody>
        </table>
          </div>
          {data.next_cursor ? (
            <button type="button" class="button button-secondary" onClick={() => setCursor(data.next_cursor ?? undefined)}>
              Next page
            </button>
          ) : null}
        </>
      )}
    </>
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
  const { data, error, reload } = useLoad(() => api.get<ApiJson>(`/apis/${enc(id)}`), [id]);
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
      <ApiForm existing={data} onSaved={reload} />
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
