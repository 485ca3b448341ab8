/** APIs (RFC 8707 resources): list, register, edit (api-form.tsx), delete. */
import { enc } from '../api.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { ConfirmButton, ErrorBox, fieldErrors, Loading, PageHeader, useLoad } from '../ui.js';
import { ApiForm, type ApiJson } from './api-form.js';
import { SearchableList } from '../searchable-list.js';

export function ApisPage({ search }: { search: URLSearchParams }) {
  return (
    <>
      <PageHeader title="APIs">
        <a class="button button-primary" href={href('apis/new')}>
          Register API
        </a>
      </PageHeader>
      <SearchableList<ApiJson>
        path="/apis"
        search={search}
        searchLabel="Search APIs"
        what="APIs"
        caption="APIs"
        columns={['Name', 'Identifier', 'Scopes', 'Tokens']}
        empty={(q) => `No APIs${q ? ` match “${q}”` : ' yet'}.`}
        rowKey={(a) => a.identifier}
        cells={(a) => (
          <>
            <td>
              <a href={href(`apis/${enc(a.identifier)}`)}>{a.name}</a>
            </td>
            <td>
              <code>{a.identifier}</code>
            </td>
            <td>{a.scopes.join(' ')}</td>
            <td>{a.token_format === 'jwt' ? `JWT (${a.signing_alg})` : 'opaque'}</td>
          </>
        )}
      />
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
