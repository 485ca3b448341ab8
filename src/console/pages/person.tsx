/** One person: profile (person-profile.tsx), roles (person-roles.tsx), disable/enable, a new password, sessions, grants, deletion. */
import { useState } from 'preact/hooks';
import { enc, type Page } from '../api.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { ConfirmButton, ErrorBox, Field, fieldErrors, FormError, formatTime, Loading, PageHeader, useLoad } from '../ui.js';
import type { UserJson } from './people.js';
import { ProfileForm } from './person-profile.js';
import { Roles } from './person-roles.js';

interface SessionJson {
  id?: string;
  sid?: string;
  created_at: number;
  auth_time?: number;
  expires_at: number;
  amr?: string[];
}

interface GrantJson {
  grant_id: string;
  client_id: string;
  client_name?: string;
  scope: string;
  created_at: number;
  revoked_at: number | null;
}

function PasswordForm({ user }: { user: UserJson }) {
  const { api, notify } = useConsole();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  return (
    <form
      class="stack"
      aria-labelledby="password-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        try {
          await api.send('PUT', `/users/${enc(user.sub)}/password`, { password });
          setPassword('');
          notify({ kind: 'success', text: `New password set for ${user.email}.` });
        } catch (err) {
          setError(fieldErrors(err));
        }
      }}
    >
      <h2 id="password-title">Reset password</h2>
      <FormError error={error} />
      <Field label="New password" name="new_password" type="password" autocomplete="new-password" required minLength={8} value={password} onInput={setPassword} hint="At least 8 characters, not one of the most common passwords. Tell the person through a channel you trust." />
      <button type="submit" class="button button-secondary">
        Set password
      </button>
    </form>
  );
}

function Sessions({ user }: { user: UserJson }) {
  const { api, notify } = useConsole();
  const { data, error, reload } = useLoad(() => api.get<Page<SessionJson> | SessionJson[]>('/sessions', { user: user.sub }), [user]);
  const items = Array.isArray(data) ? data : data?.items;
  const act = async (method: 'DELETE', path: string, text: string) => {
    try {
      await api.send(method, path);
      notify({ kind: 'success', text });
      reload();
    } catch (err) {
      notify({ kind: 'error', text: fieldErrors(err).message });
    }
  };
  return (
    <section class="stack" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {error ? <ErrorBox error={error} /> : !items ? <Loading what="sessions" /> : items.length === 0 ? <p>No active sessions.</p> : (
        <>
          <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">Expires</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => {
                const id = s.id ?? s.sid ?? '';
                return (
                  <tr key={id}>
                    <td>{formatTime(s.auth_time ?? s.created_at)}</td>
                    <td>{formatTime(s.expires_at)}</td>
                    <td>
                      <button type="button" class="button button-secondary button-small" aria-label={`End session from ${formatTime(s.auth_time ?? s.created_at)}`} onClick={() => act('DELETE', `/sessions/${enc(id)}`, 'Session ended.')}>
                        End
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          </div>
          <button type="button" class="button button-secondary" onClick={() => act('DELETE', `/users/${enc(user.sub)}/sessions`, 'Every session ended.')}>
            End all sessions
          </button>
        </>
      )}
    </section>
  );
}

function Grants({ user }: { user: UserJson }) {
  const { api, notify } = useConsole();
  const { data, error, reload } = useLoad(() => api.get<Page<GrantJson>>('/grants', { user: user.sub, limit: 50 }), [user]);
  return (
    <section class="stack" aria-labelledby="grants-title">
      <h2 id="grants-title">Applications with access</h2>
      {error ? <ErrorBox error={error} /> : !data ? <Loading what="grants" /> : data.items.length === 0 ? <p>No grants.</p> : (
        <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Application</th>
              <th scope="col">Scopes</th>
              <th scope="col">Since</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((g) => (
              <tr key={g.grant_id}>
                <td>{g.client_name ?? g.client_id}</td>
                <td>{g.scope}</td>
                <td>{formatTime(g.created_at)}</td>
                <td>
                  {g.revoked_at ? (
                    <span class="badge badge-off">Revoked</span>
                  ) : (
                    <button
                      type="button"
                      class="button button-secondary button-small"
                      aria-label={`Revoke access of ${g.client_name ?? g.client_id}`}
                      onClick={async () => {
                        try {
                          await api.send('DELETE', `/grants/${enc(g.grant_id)}`);
                          notify({ kind: 'success', text: `Access of ${g.client_name ?? g.client_id} revoked.` });
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
      )}
    </section>
  );
}

export function PersonPage({ sub }: { sub: string }) {
  const { api, notify } = useConsole();
  const { data: user, error, reload } = useLoad(() => api.get<UserJson>(`/users/${enc(sub)}`), [sub]);
  if (error) return <><PageHeader title="Person" /><ErrorBox error={error} /></>;
  if (!user) return <Loading what="the person" />;
  const run = async (method: 'POST' | 'PUT' | 'DELETE', path: string, text: string) => {
    try {
      await api.send(method, path);
      notify({ kind: 'success', text });
      reload();
    } catch (err) {
      notify({ kind: 'error', text: fieldErrors(err).message });
    }
  };
  return (
    <>
      <PageHeader title={user.name ? `${user.name} (${user.email})` : user.email} />
      <dl class="facts">
        <dt>Subject (sub)</dt>
        <dd>
          <code>{user.sub}</code>
        </dd>
        <dt>Status</dt>
        <dd data-testid="user-status">{user.disabled ? `Disabled since ${formatTime(user.disabled_at)}` : 'Active'}</dd>
        <dt>Created</dt>
        <dd>{formatTime(user.created_at)}</dd>
      </dl>
      <div class="actions">
        {user.disabled ? (
          <button type="button" class="button button-secondary" onClick={() => run('POST', `/users/${enc(sub)}/enable`, `${user.email} can sign in again.`)}>
            Enable
          </button>
        ) : (
          <ConfirmButton
            label="Disable"
            question={`Disable ${user.email}? They cannot sign in, their sessions end and their tokens stop working.`}
            confirmLabel="Disable"
            onConfirm={() => run('POST', `/users/${enc(sub)}/disable`, `${user.email} is disabled.`)}
          />
        )}
      </div>
      <ProfileForm user={user} onSaved={reload} />
      <Roles user={user} onChanged={reload} />
      <PasswordForm user={user} />
      <Sessions user={user} />
      <Grants user={user} />
      <section class="stack danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete</h2>
        <ConfirmButton
          label="Delete person"
          question={`Delete ${user.email} and everything issued to them? This cannot be undone.`}
          confirmLabel="Delete"
          onConfirm={async () => {
            try {
              await api.send('DELETE', `/users/${enc(sub)}`);
              notify({ kind: 'success', text: `${user.email} deleted.` });
              navigate('people');
            } catch (err) {
              notify({ kind: 'error', text: fieldErrors(err).message });
            }
          }}
        />
      </section>
      <p>
        <a href={href('people')}>Back to people</a>
      </p>
    </>
  );
}
