/** A person's roles: any role name given or taken away (`latch users grant-role` / `revoke-role`); admin asks first. */
import { useState } from 'preact/hooks';
import { enc } from '../api.js';
import { useConsole } from '../context.js';
import { ConfirmButton, Field, fieldErrors, FormError } from '../ui.js';
import type { UserJson } from './people.js';

const ADMIN = 'admin';

export function Roles({ user, onChanged }: { user: UserJson; onChanged: () => void }) {
  const { api, notify, session } = useConsole();
  const [role, setRole] = useState('');
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const roles = user.roles ?? [];
  const remove = async (name: string) => {
    setError(undefined);
    notify(undefined);
    try {
      await api.send('DELETE', `/users/${enc(user.sub)}/roles/${enc(name)}`);
      notify({ kind: 'success', text: name === ADMIN ? `${user.email} is no longer an administrator.` : `Role ${name} taken away from ${user.email}.` });
      onChanged();
    } catch (err) {
      setError(fieldErrors(err));
    }
  };
  const add = async (name: string) => {
    setError(undefined);
    notify(undefined);
    try {
      await api.send('PUT', `/users/${enc(user.sub)}/roles/${enc(name)}`);
      setRole('');
      notify({ kind: 'success', text: name === ADMIN ? `${user.email} is now an administrator.` : `${user.email} has the role ${name} now.` });
      onChanged();
    } catch (err) {
      setError(fieldErrors(err));
    }
  };
  return (
    <section class="stack" aria-labelledby="roles-title">
      <h2 id="roles-title">Roles</h2>
      <p class="hint">The admin role lets a person into this console and the admin API. Other roles are labels of your choosing (Latch puts no role into tokens).</p>
      {roles.length === 0 ? (
        <p>No roles.</p>
      ) : (
        <ul class="role-list" aria-label="Roles">
          {roles.map((name) => (
            <li key={name}>
              <code>{name}</code>
              {name === ADMIN ? (
                <ConfirmButton
                  label="Remove admin role"
                  question={user.sub === session.sub ? 'Remove your own admin role? You will lose access to this console.' : `Remove the admin role of ${user.email}? Their admin tokens stop working.`}
                  confirmLabel="Remove admin role"
                  onConfirm={() => remove(name)}
                />
              ) : (
                <button type="button" class="button button-secondary button-small" aria-label={`Remove role ${name}`} onClick={() => remove(name)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form
        class="role-add"
        aria-label="Give a role"
        onSubmit={(e) => {
          e.preventDefault();
          if (role.trim()) void add(role.trim());
        }}
      >
        <FormError error={error && error.field !== 'role' ? error : undefined} />
        <Field
          label="Role name"
          name="role"
          required
          value={role}
          onInput={setRole}
          hint="Lower-case letters, digits, _ and -, e.g. support."
          error={error?.field === 'role' ? error.message : undefined}
        />
        <div class="actions">
          <button type="submit" class="button button-secondary">
            Give role
          </button>
          {roles.includes(ADMIN) ? null : (
            <button type="button" class="button button-secondary" onClick={() => add(ADMIN)}>
              Make administrator
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
