/** One application: edit its metadata (RFC 7591 names), rotate its secret with a grace period, its authorizations, delete it. */
import { useEffect, useState } from 'preact/hooks';
import { enc } from '../api.js';
import { useConsole } from '../context.js';
import { href, navigate } from '../router.js';
import { ConfirmButton, ErrorBox, Field, fieldErrors, FormError, formatTime, lines, Loading, PageHeader, SecretOnce, useLoad } from '../ui.js';
import { GrantTypes, ResponseTypes } from './app-advanced.js';
import { AppGrants } from './app-grants.js';
import type { ClientJson } from './apps.js';

type Form = Record<'client_name' | 'redirect_uris' | 'post_logout_redirect_uris' | 'scope' | 'logo_uri' | 'client_uri' | 'policy_uri' | 'tos_uri' | 'allowed_cors_origins', string> & {
  grant_types: string[];
  response_types: string[];
};

function toForm(c: ClientJson): Form {
  return {
    client_name: c.client_name,
    redirect_uris: c.redirect_uris.join('\n'),
    post_logout_redirect_uris: c.post_logout_redirect_uris.join('\n'),
    scope: c.scope,
    logo_uri: c.logo_uri ?? '',
    client_uri: c.client_uri ?? '',
    policy_uri: c.policy_uri ?? '',
    tos_uri: c.tos_uri ?? '',
    allowed_cors_origins: (c.allowed_cors_origins ?? []).join('\n'),
    grant_types: c.grant_types,
    response_types: c.response_types,
  };
}

function patchOf(form: Form, before: ClientJson): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (form.client_name !== before.client_name) patch.client_name = form.client_name;
  const listChanged = (a: string[], b: string[]) => a.join('\n') !== b.join('\n');
  if (listChanged(lines(form.redirect_uris), before.redirect_uris)) patch.redirect_uris = lines(form.redirect_uris);
  if (listChanged(lines(form.post_logout_redirect_uris), before.post_logout_redirect_uris)) patch.post_logout_redirect_uris = lines(form.post_logout_redirect_uris);
  if (form.scope.trim() !== before.scope) patch.scope = form.scope.trim();
  const setChanged = (a: string[], b: string[]) => [...a].sort().join(',') !== [...b].sort().join(',');
  if (setChanged(form.grant_types, before.grant_types)) patch.grant_types = form.grant_types;
  // Unchanged response types with new grant types: the server gives the grant types' defaults, as the CLI does.
  if (setChanged(form.response_types, before.response_types)) patch.response_types = form.response_types;
  if (listChanged(lines(form.allowed_cors_origins), before.allowed_cors_origins ?? [])) patch.allowed_cors_origins = lines(form.allowed_cors_origins);
  for (const key of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri'] as const) {
    // An emptied field removes the value (null), as PATCH does for every optional member.
    if (form[key].trim() !== (before[key] ?? '')) patch[key] = form[key].trim() === '' ? null : form[key].trim();
  }
  return patch;
}

export function AppPage({ id }: { id: string }) {
  const { api, notify } = useConsole();
  const { data, error, reload } = useLoad(() => api.get<ClientJson>(`/clients/${enc(id)}`), [id]);
  const [form, setForm] = useState<Form | undefined>(undefined);
  const [saveError, setSaveError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [grace, setGrace] = useState('0');
  const [secret, setSecret] = useState<string | undefined>(undefined);
  useEffect(() => setForm(data ? toForm(data) : undefined), [data]);

  if (error) return <><PageHeader title="Application" /><ErrorBox error={error} /></>;
  if (!data || !form) return <Loading what="the application" />;
  const set = (key: Exclude<keyof Form, 'grant_types' | 'response_types'>) => (value: string) => setForm({ ...form, [key]: value });
  const err = (field: string) => (saveError?.field?.split(/[.[]/)[0] === field ? saveError.message : undefined);
  const confidential = data.token_endpoint_auth_method === 'client_secret_basic' || data.token_endpoint_auth_method === 'client_secret_post';
  const usesRedirects = data.grant_types.includes('authorization_code') || data.grant_types.includes('implicit');

  return (
    <>
      <PageHeader title={data.client_name || data.client_id} />
      <dl class="facts">
        <dt>Client ID</dt>
        <dd>
          <code>{data.client_id}</code>
        </dd>
        <dt>Kind</dt>
        <dd>{data.latch_client_kind}</dd>
        <dt>Grant types</dt>
        <dd>{data.grant_types.join(', ') || '—'}</dd>
        <dt>Response types</dt>
        <dd>{data.response_types.join(', ') || '—'}</dd>
        <dt>Client authentication</dt>
        <dd>{data.token_endpoint_auth_method}</dd>
        <dt>ID token algorithm</dt>
        <dd>{data.id_token_signed_response_alg}</dd>
        {data.latch_default_resource ? (
          <>
            <dt>Default API</dt>
            <dd>
              <code>{data.latch_default_resource}</code>
            </dd>
          </>
        ) : null}
        {data.jwks ? (
          <>
            <dt>Public keys</dt>
            <dd>{data.jwks.keys.map((k) => k.kid ?? k.kty).join(', ') || 'none'}</dd>
          </>
        ) : null}
        {data.previous_secret_expires_at ? (
          <>
            <dt>Previous secret</dt>
            <dd>works until {formatTime(data.previous_secret_expires_at)}</dd>
          </>
        ) : null}
      </dl>

      <form
        class="stack"
        aria-labelledby="edit-title"
        onSubmit={async (e) => {
          e.preventDefault();
          setSaveError(undefined);
          notify(undefined);
          const patch = patchOf(form, data);
          if (Object.keys(patch).length === 0) return notify({ kind: 'success', text: 'Nothing changed.' });
          try {
            await api.send('PATCH', `/clients/${enc(id)}`, patch);
            notify({ kind: 'success', text: 'Application saved.' });
            reload();
          } catch (err) {
            setSaveError(fieldErrors(err));
          }
        }}
      >
        <h2 id="edit-title">Settings</h2>
        <FormError error={saveError} />
        <Field label="Name" name="client_name" required value={form.client_name} onInput={set('client_name')} error={err('client_name')} />
        {usesRedirects ? (
          <>
            <Field label="Redirect URIs" name="redirect_uris" multiline required value={form.redirect_uris} onInput={set('redirect_uris')} hint="One per line." error={err('redirect_uris')} />
            <Field label="Post-logout redirect URIs" name="post_logout_redirect_uris" multiline value={form.post_logout_redirect_uris} onInput={set('post_logout_redirect_uris')} hint="One per line." error={err('post_logout_redirect_uris')} />
          </>
        ) : null}
        <Field label="Scopes" name="scope" value={form.scope} onInput={set('scope')} hint="Separated by spaces." error={err('scope')} />
        <GrantTypes value={form.grant_types} onChange={(grant_types) => setForm({ ...form, grant_types })} error={err('grant_types')} />
        <ResponseTypes
          value={form.response_types}
          onChange={(response_types) => setForm({ ...form, response_types })}
          hint="What the authorization endpoint may answer. Change only the grant types and these follow them (their defaults)."
          error={err('response_types')}
        />
        {data.token_endpoint_auth_method === 'none' ? (
          <Field label="Allowed browser origins (CORS)" name="allowed_cors_origins" multiline value={form.allowed_cors_origins} onInput={set('allowed_cors_origins')} hint="One per line, besides the redirect URIs' origins." error={err('allowed_cors_origins')} />
        ) : null}
        <Field label="Logo URL" name="logo_uri" type="url" value={form.logo_uri} onInput={set('logo_uri')} error={err('logo_uri')} />
        <Field label="Home page" name="client_uri" type="url" value={form.client_uri} onInput={set('client_uri')} error={err('client_uri')} />
        <Field label="Privacy policy" name="policy_uri" type="url" value={form.policy_uri} onInput={set('policy_uri')} error={err('policy_uri')} />
        <Field label="Terms of service" name="tos_uri" type="url" value={form.tos_uri} onInput={set('tos_uri')} error={err('tos_uri')} />
        <button type="submit" class="button button-primary">
          Save
        </button>
      </form>

      {confidential ? (
        <section class="stack" aria-labelledby="secret-title">
          <h2 id="secret-title">Client secret</h2>
          <p>A new secret replaces the current one. During the grace period both work, so the app can be updated without an outage.</p>
          <Field label="Grace period (seconds)" name="grace_seconds" type="number" value={grace} onInput={setGrace} hint="0: the old secret stops working at once." />
          <ConfirmButton
            label="Rotate secret"
            question={Number(grace) > 0 ? `Make a new secret? The current one keeps working for ${grace} seconds.` : 'Make a new secret? The current one stops working at once.'}
            confirmLabel="Rotate secret"
            onConfirm={async () => {
              try {
                const result = await api.send<{ client_secret: string }>('POST', `/clients/${enc(id)}/secret`, { grace_seconds: Number(grace) || 0 });
                setSecret(result.client_secret);
                reload();
                notify({ kind: 'success', text: 'New client secret made. Copy it now: it is not shown again.' });
              } catch (err) {
                notify({ kind: 'error', text: fieldErrors(err).message });
              }
            }}
          />
          {secret ? <SecretOnce label="New client secret" value={secret} /> : null}
        </section>
      ) : null}

      <AppGrants clientId={id} />

      <section class="stack danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete</h2>
        <p>Deleting the application revokes every token issued to it.</p>
        <ConfirmButton
          label="Delete application"
          question={`Delete ${data.client_name || data.client_id}? Every token issued to it stops working. This cannot be undone.`}
          confirmLabel="Delete"
          onConfirm={async () => {
            try {
              await api.send('DELETE', `/clients/${enc(id)}`);
              notify({ kind: 'success', text: `Application ${data.client_name} deleted.` });
              navigate('apps');
            } catch (err) {
              notify({ kind: 'error', text: fieldErrors(err).message });
            }
          }}
        />
      </section>
      <p>
        <a href={href('apps')}>Back to applications</a>
      </p>
    </>
  );
}
