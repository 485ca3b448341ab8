/** Applications: the list, and creating one with the same "which kind of app?" questions as `latch clients advise`. */
import { useState } from 'preact/hooks';
import { nextQuestion, questions, recommend, type FlowAnswers } from '../../cli/flow-advisor.js';
import { useConsole } from '../context.js';
import { href } from '../router.js';
import { AdvancedFields, advancedBody, noAdvanced } from './app-advanced.js';
import { Field, fieldErrors, FormError, lines, PageHeader, SecretOnce } from '../ui.js';
import { SearchableList } from '../searchable-list.js';

export interface ClientJson {
  client_id: string;
  client_name: string;
  latch_client_kind: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
  id_token_signed_response_alg: string;
  latch_default_resource?: string;
  jwks?: { keys: Array<{ kid?: string; kty?: string }> };
  scope: string;
  client_secret?: string;
  logo_uri?: string;
  client_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
  client_id_issued_at?: number;
  allowed_cors_origins?: string[];
  previous_secret_expires_at?: number;
}

const KINDS: Record<string, string> = {
  web: 'Web application with a server (keeps a secret)',
  spa: 'Single-page app (runs in the browser)',
  native: 'Mobile or desktop app',
  m2m: 'Machine to machine (no person)',
  device: 'TV, command-line tool or device (no browser)',
};

export function AppsPage({ search }: { search: URLSearchParams }) {
  return (
    <>
      <PageHeader title="Applications">
        <a class="button button-primary" href={href('apps/new')}>
          Create application
        </a>
      </PageHeader>
      <SearchableList<ClientJson>
        path="/clients"
        search={search}
        searchLabel="Search applications"
        what="applications"
        caption="Applications"
        columns={['Name', 'Client ID', 'Kind']}
        empty={(q) => `No applications${q ? ` match “${q}”` : ''}.`}
        rowKey={(c) => c.client_id}
        cells={(c) => (
          <>
            <td>
              <a href={href(`apps/${encodeURIComponent(c.client_id)}`)}>{c.client_name || c.client_id}</a>
            </td>
            <td>
              <code>{c.client_id}</code>
            </td>
            <td>{c.latch_client_kind}</td>
          </>
        )}
      />
    </>
  );
}

/** The questions of flow-advisor.ts, one fieldset each, until the answers decide. */
function KindAdvisor({ onKind }: { onKind: (kind: string) => void }) {
  const [answers, setAnswers] = useState<FlowAnswers>({});
  const asked = (['user', 'browser', 'secret'] as const).filter((key) => answers[key] !== undefined || nextQuestion(answers)?.key === key);
  const done = nextQuestion(answers) === undefined;
  const advice = done ? recommend(answers) : undefined;
  return (
    <section class="advisor" aria-labelledby="advisor-title">
      <h2 id="advisor-title">Which kind of app?</h2>
      {asked.map((key) => {
        const question = questions[key];
        return (
          <fieldset key={key}>
            <legend>{question.text}</legend>
            {question.choices.map((choice) => {
              const id = `q-${key}-${choice.answer}`;
              return (
                <div class="field-check" key={choice.answer}>
                  <input
                    type="radio"
                    id={id}
                    name={`advisor-${key}`}
                    checked={answers[key] === choice.value}
                    onChange={() => {
                      // A changed answer drops the answers after it: they may no longer be asked.
                      const order = ['user', 'browser', 'secret'] as const;
                      const next: FlowAnswers = {};
                      for (const k of order.slice(0, order.indexOf(key))) if (answers[k] !== undefined) Object.assign(next, { [k]: answers[k] });
                      Object.assign(next, { [key]: choice.value });
                      setAnswers(next);
                      if (nextQuestion(next) === undefined) onKind(recommend(next).kind);
                    }}
                  />
                  <label for={id}>
                    {choice.answer[0]!.toUpperCase() + choice.answer.slice(1)}: {choice.label}
                  </label>
                </div>
              );
            })}
          </fieldset>
        );
      })}
      <div aria-live="polite">
        {advice ? (
          <p class="advice">
            Use <strong>{KINDS[advice.kind]}</strong> ({advice.kind}): {advice.flow}. {advice.why}
          </p>
        ) : null}
      </div>
    </section>
  );
}

export function NewAppPage() {
  const { api, notify } = useConsole();
  const [kind, setKind] = useState('');
  const [name, setName] = useState('');
  const [redirects, setRedirects] = useState('');
  const [logoutRedirects, setLogoutRedirects] = useState('');
  const [error, setError] = useState<{ field?: string; message: string } | undefined>(undefined);
  const [created, setCreated] = useState<ClientJson | undefined>(undefined);
  const [advanced, setAdvanced] = useState(noAdvanced);
  const err = (field: string) => (error?.field?.split(/[.[]/)[0] === field ? error.message : undefined);
  const usesRedirects = kind === 'web' || kind === 'spa' || kind === 'native';

  if (created) {
    return (
      <>
        <PageHeader title={`Application created: ${created.client_name}`} />
        <dl class="facts">
          <dt>Client ID</dt>
          <dd>
            <code data-testid="client-id">{created.client_id}</code>
          </dd>
        </dl>
        {created.client_secret ? <SecretOnce label="Client secret" value={created.client_secret} /> : <p>This is a public client: it has no secret and proves itself with PKCE.</p>}
        <p>
          <a href={href(`apps/${encodeURIComponent(created.client_id)}`)}>Open the application</a>
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Create application" />
      <KindAdvisor onKind={setKind} />
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          try {
            const body: Record<string, unknown> = { client_name: name, latch_client_kind: kind, ...advancedBody(advanced) };
            if (usesRedirects) {
              body.redirect_uris = lines(redirects);
              body.post_logout_redirect_uris = lines(logoutRedirects);
            }
            const client = await api.send<ClientJson>('POST', '/clients', body);
            setCreated(client);
            notify({ kind: 'success', text: `Application ${client.client_name} created.` });
          } catch (err) {
            setError(fieldErrors(err));
          }
        }}
      >
        <h2>Details</h2>
        <FormError error={error} />
        <div class="field">
          <label for="kind">Kind</label>
          <select id="kind" name="kind" required value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Choose, or answer the questions above</option>
            {Object.entries(KINDS).map(([value, label]) => (
              <option value={value} key={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <Field label="Name" name="client_name" value={name} onInput={setName} required error={err('client_name')} />
        {usesRedirects ? (
          <>
            <Field
              label="Redirect URIs"
              name="redirect_uris"
              multiline
              required
              value={redirects}
              onInput={setRedirects}
              hint="One per line, exactly as the app sends them (e.g. https://app.example.com/callback)."
              error={err('redirect_uris')}
            />
            <Field
              label="Post-logout redirect URIs"
              name="post_logout_redirect_uris"
              multiline
              value={logoutRedirects}
              onInput={setLogoutRedirects}
              hint="One per line: where Latch may send people after they sign out."
              error={err('post_logout_redirect_uris')}
            />
          </>
        ) : null}
        <AdvancedFields value={advanced} onChange={setAdvanced} error={err} />
        <button type="submit" class="button button-primary">
          Create application
        </button>
      </form>
    </>
  );
}
