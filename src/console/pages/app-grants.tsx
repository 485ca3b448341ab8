/** Who authorized an application (GET /admin/api/grants?client=), and taking an authorization back. */
import { useState } from 'preact/hooks';
import { enc, type Page } from '../api.js';
import { useConsole } from '../context.js';
import { href } from '../router.js';
import { ErrorBox, fieldErrors, formatTime, Loading, useLoad } from '../ui.js';

interface GrantJson {
  grant_id: string;
  client_id: string;
  sub: string | null;
  scope: string;
  created_at: number;
  revoked_at: number | null;
}

export function AppGrants({ clientId }: { clientId: string }) {
  const { api, notify } = useConsole();
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const { data, error, reload } = useLoad(() => api.get<Page<GrantJson>>('/grants', { client: clientId, cursor, limit: 50 }), [clientId, cursor]);
  return (
    <section class="stack" aria-labelledby="app-grants-title">
      <h2 id="app-grants-title">Authorizations</h2>
      {error ? <ErrorBox error={error} /> : !data ? <Loading what="authorizations" /> : data.items.length === 0 ? <p>Nobody has authorized this application yet.</p> : (
        <>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Since</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((g) => (
                  <tr key={g.grant_id}>
                    <td>{g.sub ? <a href={href(`people/${enc(g.sub)}`)}>{g.sub}</a> : 'the application itself'}</td>
                    <td>{g.scope}</td>
                    <td>{formatTime(g.created_at)}</td>
                    <td>
                      {g.revoked_at ? (
                        <span class="badge badge-off">Revoked</span>
                      ) : (
                        <button
                          type="button"
                          class="button button-secondary button-small"
                          aria-label={`Revoke the authorization of ${g.sub ?? 'the application itself'}`}
                          onClick={async () => {
                            notify(undefined);
                            try {
                              await api.send('DELETE', `/grants/${enc(g.grant_id)}`);
                              notify({ kind: 'success', text: 'Authorization revoked: its tokens stop working.' });
                              reload();
                            } catch (err) {
                              notify({ kind: 'error', text: fieldErrors(err).message });
                            }
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
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
    </section>
  );
}
