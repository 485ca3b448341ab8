/** People: the list with search, and creating a person (optionally an administrator). */
import { useState } from 'preact/hooks';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { Checkbox, Field, fieldErrors, FormError, PageHeader } from '../ui.js';
import { SearchableList } from '../searchable-list.js';

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
  return (
    <>
      <PageHeader title="People">
        <a class="button button-primary" href={href('people/new')}>
          Add person
        </a>
      </PageHeader>
      <SearchableList<UserJson>
        path="/users"
        search={search}
        searchLabel="Search people"
        what="people"
        caption="People"
        columns={['Email', 'Name', 'Roles', 'Status']}
        empty={(q) => `Nobody${q ? ` matches “${q}”` : ' yet'}.`}
        rowKey={(u) => u.sub}
        cells={(u) => (
          <>
            <td>
              <a href={href(`people/${encodeURIComponent(u.sub)}`)}>{u.email}</a>
            </td>
            <td>{u.name ?? ''}</td>
            <td>{(u.roles ?? []).join(', ')}</td>
            <td>{u.disabled ? <span class="badge badge-off">Disabled</span> : <span class="badge">Active</span>}</td>
          </>
        )}
      />
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
