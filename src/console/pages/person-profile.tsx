/** A person's email and every profile claim an operator may set (OIDC Core §5.1 names), address included. */
import { useEffect, useState } from 'preact/hooks';
import { enc } from '../api.js';
import { useConsole } from '../context.js';
import { Checkbox, Field, fieldErrors, FormError } from '../ui.js';
import type { UserJson } from './people.js';

type Claim = { key: string; label: string; type?: string; hint?: string; autocomplete?: string };

const GROUPS: Array<{ legend: string; claims: Claim[] }> = [
  {
    legend: 'Name',
    claims: [
      { key: 'name', label: 'Name', hint: 'The full name, as it is displayed.' },
      { key: 'given_name', label: 'Given name' },
      { key: 'middle_name', label: 'Middle name' },
      { key: 'family_name', label: 'Family name' },
      { key: 'nickname', label: 'Nickname' },
      { key: 'preferred_username', label: 'Preferred username', hint: 'A shorthand name, e.g. ada or a.lovelace; not unique and not an identifier.' },
    ],
  },
  {
    legend: 'Contact',
    claims: [
      { key: 'phone_number', label: 'Phone number', type: 'tel', hint: 'E.164, e.g. +14255551212.' },
      { key: 'website', label: 'Website', type: 'url' },
      { key: 'profile', label: 'Profile page', type: 'url' },
      { key: 'picture', label: 'Picture URL', type: 'url' },
    ],
  },
  {
    legend: 'More about them',
    claims: [
      { key: 'gender', label: 'Gender', hint: 'female, male or another value.' },
      { key: 'birthdate', label: 'Birthdate', hint: 'YYYY-MM-DD, or YYYY alone, or 0000-MM-DD without the year.' },
      { key: 'zoneinfo', label: 'Time zone', hint: 'From the IANA database, e.g. Europe/Paris.' },
      { key: 'locale', label: 'Locale', hint: 'A BCP 47 language tag, e.g. en-GB.' },
    ],
  },
];

const ADDRESS: Claim[] = [
  { key: 'street_address', label: 'Street address' },
  { key: 'locality', label: 'City or locality' },
  { key: 'region', label: 'Region or state' },
  { key: 'postal_code', label: 'Postal code' },
  { key: 'country', label: 'Country' },
  { key: 'formatted', label: 'Formatted address', hint: 'The whole address as it would be printed on a letter.' },
];

const CLAIMS = GROUPS.flatMap((g) => g.claims.map((c) => c.key));
type Claims = Record<string, unknown>;

interface Form {
  email: string;
  email_verified: boolean;
  phone_number_verified: boolean;
  claims: Record<string, string>;
  address: Record<string, string>;
}

function toForm(user: UserJson): Form {
  const claims = user as unknown as Claims;
  const address = (user.address ?? {}) as Record<string, string>;
  return {
    email: user.email,
    email_verified: user.email_verified,
    phone_number_verified: user.phone_number_verified ?? false,
    claims: Object.fromEntries(CLAIMS.map((k) => [k, typeof claims[k] === 'string' ? (claims[k] as string) : ''])),
    address: Object.fromEntries(ADDRESS.map(({ key }) => [key, address[key] ?? ''])),
  };
}

/** PATCH members for what changed; an emptied claim is removed (null). The address goes whole (it replaces). */
function patchOf(form: Form, user: UserJson): Claims {
  const patch: Claims = {};
  const before = toForm(user);
  if (form.email.trim() !== user.email) patch.email = form.email.trim();
  if (form.email_verified !== user.email_verified) patch.email_verified = form.email_verified;
  for (const key of CLAIMS) {
    const value = form.claims[key]!.trim();
    if (value !== before.claims[key]) patch[key] = value === '' ? null : value;
  }
  if (form.phone_number_verified !== before.phone_number_verified) patch.phone_number_verified = form.phone_number_verified;
  const address = Object.fromEntries(Object.entries(form.address).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ''));
  if (ADDRESS.some(({ key }) => (form.address[key] ?? '').trim() !== before.address[key])) patch.address = Object.keys(address).length ? address : null;
  return patch;
}

export function ProfileForm({ user, onSaved }: { user: UserJson; onSaved: () => void }) {
  const { api, notify } = useConsole();
  const [form, setForm] = useState(() => toForm(user));
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  useEffect(() => setForm(toForm(user)), [user]);
  const err = (field: string) => (error?.field === field ? error.message : undefined);
  const claim = (c: Claim) => (
    <Field
      key={c.key}
      label={c.label}
      name={c.key}
      type={c.type ?? 'text'}
      value={form.claims[c.key] ?? ''}
      onInput={(v) => setForm({ ...form, claims: { ...form.claims, [c.key]: v } })}
      error={err(c.key)}
      {...(c.hint ? { hint: c.hint } : {})}
    />
  );
  return (
    <form
      class="stack"
      aria-labelledby="profile-title"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        notify(undefined);
        const patch = patchOf(form, user);
        if (Object.keys(patch).length === 0) return notify({ kind: 'success', text: 'Nothing changed.' });
        try {
          await api.send('PATCH', `/users/${enc(user.sub)}`, patch);
          notify({ kind: 'success', text: 'Profile saved.' });
          onSaved();
        } catch (err) {
          setError(fieldErrors(err));
        }
      }}
    >
      <h2 id="profile-title">Profile</h2>
      <FormError error={error} />
      <Field label="Email address" name="email" type="email" required value={form.email} onInput={(email) => setForm({ ...form, email })} error={err('email')} hint="A new address is unverified unless you tick the box below." />
      <Checkbox label="Email address verified" name="email_verified" checked={form.email_verified} onChange={(email_verified) => setForm({ ...form, email_verified })} />
      {GROUPS.map((group) => (
        <fieldset key={group.legend}>
          <legend>{group.legend}</legend>
          <div class="field-grid">{group.claims.map(claim)}</div>
          {group.legend === 'Contact' ? (
            <Checkbox label="Phone number verified" name="phone_number_verified" checked={form.phone_number_verified} onChange={(phone_number_verified) => setForm({ ...form, phone_number_verified })} />
          ) : null}
        </fieldset>
      ))}
      <fieldset>
        <legend>Address</legend>
        {err('address') ? <p class="field-error">{err('address')}</p> : null}
        <div class="field-grid">
        {ADDRESS.map((c) => (
          <Field
            key={c.key}
            label={c.label}
            name={`address.${c.key}`}
            multiline={c.key === 'formatted' || c.key === 'street_address'}
            value={form.address[c.key] ?? ''}
            onInput={(v) => setForm({ ...form, address: { ...form.address, [c.key]: v } })}
            error={err(`address.${c.key}`)}
            {...(c.hint ? { hint: c.hint } : {})}
          />
        ))}
        </div>
      </fieldset>
      <button type="submit" class="button button-primary">
        Save profile
      </button>
    </form>
  );
}
