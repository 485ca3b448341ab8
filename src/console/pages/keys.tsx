/** Signing keys: their states (next, active, retired) and rotation. */
import type { Page } from '../api.js';
import { useConsole } from '../context.js';
import { ConfirmButton, ErrorBox, formatTime, Loading, PageHeader, useLoad } from '../ui.js';

interface KeyJson {
  kid: string;
  alg: string;
  state: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}

export function KeysPage() {
  const { api, notify } = useConsole();
  const { data, error, reload } = useLoad(() => api.get<Page<KeyJson> | KeyJson[]>('/keys'), []);
  const items = Array.isArray(data) ? data : data?.items;
  return (
    <>
      <PageHeader title="Signing keys">
        <ConfirmButton
          label="Rotate keys"
          danger={false}
          question="Rotate the signing keys? The next keys become active, the active ones are retired (still published, so tokens they signed stay valid), and new next keys are made."
          confirmLabel="Rotate"
          onConfirm={async () => {
            try {
              await api.send('POST', '/keys/rotate');
              notify({ kind: 'success', text: 'Keys rotated.' });
              reload();
            } catch (err) {
              notify({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
            }
          }}
        />
      </PageHeader>
      <p>Only active keys sign. The JSON Web Key Set publishes next, active and retired keys.</p>
      {error ? <ErrorBox error={error} /> : !items ? <Loading what="keys" /> : (
        <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Signing keys</caption>
          <thead>
            <tr>
              <th scope="col">Key ID</th>
              <th scope="col">Algorithm</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Activated</th>
              <th scope="col">Retired</th>
            </tr>
          </thead>
          <tbody>
            {items.map((k) => (
              <tr key={k.kid}>
                <td>
                  <code>{k.kid}</code>
                </td>
                <td>{k.alg}</td>
                <td>
                  <span class={`badge badge-${k.state}`}>{k.state}</span>
                </td>
                <td>{formatTime(k.created_at)}</td>
                <td>{formatTime(k.activated_at)}</td>
                <td>{formatTime(k.retired_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
          </div>
      )}
    </>
  );
}
