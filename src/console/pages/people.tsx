/** People: the list with search, and creating a person (optionally an administrator). */
import { useState } from 'preact/hooks';
import type { Page } from '../api.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { Checkbox, ErrorBox, Field, fieldErrors, FormError, Loading, PageHeader, Search, useLoad } from '../ui.js';

export interface UserJson {
  sub: string;
  email: string;
  email_verified: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  locale?: string;
  address?: Record<string, string>;
  roles: string[];
  disabled: boolean;
  disabled_at?: number | null;
  has_password?: boolean;
  created_at: number;
}

export function PeoplePage({ search }: { search: URLSearchParams }) {
  const { api } = useConsole();
  const [q, setQ] = useState(search.get('q') ?? '');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const { data, error } = useLoad(() => api.get<Page<UserJson>>('/users', { q, cursor, limit: 50 }), [q, cursor]);
  return (
    <>
      <PageHeader title="People">
        <a class="button button-primary" href={href('people/new')}>
          Add person
        </a>
      </PageHeader>
      <Search label="Search people" value={q} onSearch={(v) => (setCursor(undefined), setQ(v))} />
      {error ? <ErrorBox error={error} /> : !data ? <Loading what="people" /> : (
        <>
          <div class="table-wrap">
          <table>
            <caption class="visually-hidden">People</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {data.items.length === 0 ? (
                <tr>
                  <td colSpan={4}>Nobody{q ? ` matches “${q}”` : ' yet'}.</td>
                </tr>
              ) : (
                data.items.map((u) => (
                  <tr key={u.sub}>
                    <td>
                      <a href={href(`people/${encodeURIComponent(u.sub)}`)}>{u.email}</a>
                    </td>
                    <td>{u.name ?? ''}</td>
                    <td>{(u.roles ?? []).join(', ')}</td>
                    <td>{u.disabled ? <span class="badge badge-off">Disabled</span> : <span class="badge">Active</span>}</td>
                  </tr>
                ))
              )}
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

export function NewPersonPage() {
  const { api, notify } = useConsole();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(false);
  const [verified, setVerified] = useState(false);
  const [roles, setRoles] = useState('');
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const err = (field: string) => (error?.field?.split(/[.[]/)[0] === field ? error.message : undefined);
  return (
    <>
      <PageHeader title="Add person" />
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const others = roles.split(/[\s,]+/).filter(Boolean);
            const body: Record<string, unknown> = { email, roles: [...new Set([...(admin ? ['admin'] : []), ...others])] };
            if (verified) body.email_verified = true;
            if (name.trim()) body.name = name.trim();
            if (password) body.password = password;
            const user = await api.send<UserJson>('POST', '/users', body);
            notify({ kind: 'success', text: `${user.email} added.` });
            navigate(`people/${encodeURIComponent(user.sub)}`);
          } catch (err) {
            setError(fieldErrors(err));
          }
        }}
      >
        <FormError error={error} />
        <Field label="Email address" name="email" type="email" autocomplete="off" required value={email} onInput={setEmail} error={err('email')} />
        <Checkbox label="Email address verified (they proved it is theirs)" name="email_verified" checked={verified} onChange={setVerified} />
        <Field label="Name" name="name" value={name} onInput={setName} error={err('name')} />
        <Field
          label="Password"
          name="password"
          type="password"
          autocomplete="new-password"
          minLength={8}
          value={password}
          onInput={setPassword}
          hint="At least 8 characters, not one of the most common passwords. Leave empty for a person who cannot sign in with a password yet."
          error={err('password')}
        />
        <Checkbox label="Administrator (may use this console and the admin API)" name="admin" checked={admin} onChange={setAdmin} />
        <Field label="Other roles" name="roles" value={roles} onInput={setRoles} hint="Separated by spaces, e.g. support billing (lower-case letters, digits, _ and -)." error={err('roles')} />
        <button type="submit" class="button button-primary">
          Add person
        </button>
      </form>
    </>
  );
}
