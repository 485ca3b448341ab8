/**
 * The Latch console: a public client of Latch's own admin API. It signs in through Latch (code flow + PKCE), keeps
 * the token in this tab, and shows the pages of the admin API. Every route under /console serves this app.
 */
import { render, type ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApi } from './api.js';
import { currentSession, finishSignIn, forgetSession, hasAdminScopes, SignInError, signOut, startSignIn, type Session } from './auth.js';
import { Ctx, type Notice } from './context.js';
import { href, onLinkClick, takeCarry, useRoute } from './router.js';
import { ApiPage, ApisPage, NewApiPage } from './pages/apis.js';
import { AppPage } from './pages/app.js';
import { AppsPage, NewAppPage } from './pages/apps.js';
import { BrandingPage } from './pages/branding.js';
import { EventsPage } from './pages/events.js';
import { KeysPage } from './pages/keys.js';
import { NewPersonPage, PeoplePage } from './pages/people.js';
import { PersonPage } from './pages/person.js';
import './styles.css';

const NAV = [
  ['apps', 'Applications'],
  ['people', 'People'],
  ['apis', 'APIs'],
  ['keys', 'Signing keys'],
  ['events', 'Events'],
  ['branding', 'Branding'],
] as const;

function Brand() {
  return (
    <a class="brand" href={href('')}>
      <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
        <path d="M8 10V7a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
        <rect x="4" y="10" width="16" height="11" rx="2.5" fill="currentColor" />
      </svg>
      <span>Latch console</span>
    </a>
  );
}

/** A full-page message outside the app (signing in, not an administrator, errors). */
function Standalone({ title, children }: { title: string; children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), [title]);
  return (
    <div class="standalone">
      <header class="topbar">
        <Brand />
      </header>
      <main id="main" class="standalone-card">
        <h1 tabIndex={-1} ref={ref}>
          {title}
        </h1>
        {children}
      </main>
    </div>
  );
}

function NotAdmin({ session }: { session: Session | undefined }) {
  return (
    <Standalone title="You are not an administrator">
      <p>
        {session?.email ? (
          <>
            You are signed in as <strong>{session.email}</strong>, which does not have the admin role.
          </>
        ) : (
          'Your account does not have the admin role.'
        )}{' '}
        Only administrators can use the Latch console. Ask an administrator to give you the role, or sign in as someone else.
      </p>
      <p>
        <button type="button" class="button button-primary" onClick={() => signOut(session)}>
          Sign out
        </button>
      </p>
    </Standalone>
  );
}

function Shell({ session, onAuthFailure }: { session: Session; onAuthFailure: (status: 401 | 403) => void }) {
  const { path, search } = useRoute();
  const [notice, setNotice] = useState<Notice | undefined>(undefined);
  const api = useMemo(() => createApi(session.accessToken, onAuthFailure), [session.accessToken]);
  const ctx = useMemo(() => ({ api, session, notify: setNotice }), [api, session]);
  useEffect(() => {
    if (!takeCarry()) setNotice(undefined);
  }, [path]);
  const [section = 'apps', id, ...rest] = path.split('/');
  const page = (() => {
    if (rest.length > 0) return <NotFound />;
    const decoded = id === undefined ? undefined : decodeURIComponent(id);
    switch (section) {
      case '':
      case 'apps':
        return decoded === undefined ? <AppsPage search={search} /> : decoded === 'new' ? <NewAppPage /> : <AppPage id={decoded} />;
      case 'people':
        return decoded === undefined ? <PeoplePage search={search} /> : decoded === 'new' ? <NewPersonPage /> : <PersonPage sub={decoded} />;
      case 'apis':
        return decoded === undefined ? <ApisPage search={search} /> : decoded === 'new' ? <NewApiPage /> : <ApiPage id={decoded} />;
      case 'keys':
        return decoded === undefined ? <KeysPage /> : <NotFound />;
      case 'events':
        return decoded === undefined ? <EventsPage /> : <NotFound />;
      case 'branding':
        return decoded === undefined ? <BrandingPage /> : <NotFound />;
      default:
        return <NotFound />;
    }
  })();
  const current = section === '' ? 'apps' : section;
  return (
    <Ctx.Provider value={ctx}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Brand />
        <div class="who">
          <span class="who-name">{session.email ?? session.name ?? session.sub}</span>
          <button type="button" class="button button-secondary button-small" onClick={() => signOut(session)}>
            Sign out
          </button>
        </div>
      </header>
      <nav class="nav" aria-label="Console">
        <ul>
          {NAV.map(([key, label]) => (
            <li key={key}>
              <a href={href(key)} aria-current={current === key ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content">
        <div class="notices">
          <div role="status" aria-live="polite" class={notice?.kind === 'success' ? 'notice notice-success' : 'notice-empty'}>
            {notice?.kind === 'success' ? notice.text : ''}
          </div>
          <div role="alert" class={notice?.kind === 'error' ? 'alert' : 'notice-empty'}>
            {notice?.kind === 'error' ? notice.text : ''}
          </div>
        </div>
        {page}
      </main>
    </Ctx.Provider>
  );
}

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no such page. <a href={href('apps')}>Go to the applications</a>.
      </p>
    </>
  );
}

type State =
  | { kind: 'loading' }
  | { kind: 'ready'; session: Session }
  | { kind: 'not_admin'; session: Session | undefined }
  | { kind: 'error'; message: string };

function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  useEffect(() => {
    const onCallback = location.pathname.endsWith('/console/callback');
    (async () => {
      if (onCallback) {
        try {
          const { session } = await finishSignIn();
          return setState(hasAdminScopes(session) ? { kind: 'ready', session } : { kind: 'not_admin', session });
        } catch (err) {
          // An authorization server may refuse the admin scopes outright to a person without the admin role.
          if (err instanceof SignInError && err.code === 'invalid_scope') return setState({ kind: 'not_admin', session: undefined });
          if (err instanceof SignInError && err.code === 'access_denied') {
            return setState({ kind: 'error', message: 'The sign-in was cancelled: the console needs your permission to use the admin API.' });
          }
          return setState({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        }
      }
      const session = currentSession();
      if (!session) return startSignIn(location.pathname + location.search);
      setState(hasAdminScopes(session) ? { kind: 'ready', session } : { kind: 'not_admin', session });
    })().catch((err: unknown) => setState({ kind: 'error', message: err instanceof Error ? err.message : String(err) }));
  }, []);

  const onAuthFailure = (status: 401 | 403) => {
    if (state.kind !== 'ready') return;
    // A token just issued and already refused (or one lacking a scope): this person is no administrator (any more).
    if (status === 403 || Date.now() - state.session.obtainedAt < 60_000) return setState({ kind: 'not_admin', session: state.session });
    // A kept token that expired or was revoked: sign in again (single sign-on makes it quick), back to this page.
    forgetSession();
    void startSignIn(location.pathname + location.search);
  };

  switch (state.kind) {
    case 'loading':
      return (
        <Standalone title="Signing in…">
          <p role="status">Taking you to the sign-in page of this Latch.</p>
        </Standalone>
      );
    case 'not_admin':
      return <NotAdmin session={state.session} />;
    case 'error':
      return (
        <Standalone title="Sign-in failed">
          <div class="alert" role="alert">
            {state.message}
          </div>
          <p>
            <a class="button button-primary" href={href('')} data-external>
              Try again
            </a>
          </p>
        </Standalone>
      );
    case 'ready':
      return <Shell session={state.session} onAuthFailure={onAuthFailure} />;
  }
}

document.addEventListener('click', onLinkClick);
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
