/**
 * The first-admin setup page (`/console/setup?token=...`, printed at start while there is no admin): a
 * server-rendered form, escaped and CSRF-protected like the login page, that creates the first admin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { completeSetup, checkSetupToken, SETUP_PATH, type SetupTokenState } from '../../admin/setup.js';
import { AdminInputError } from '../../admin/errors.js';
import { html, page, type PageChrome } from '../../pages/index.js';
import { pageChrome } from '../page-chrome.js';
import { checkCsrf, csrfToken, ensureBrowserId, startSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams, queryParams } from '../form.js';
import { sendPage } from '../responses.js';

/** The operator's branding; the text of these pages is English only (an operator's page), so no locale. */
type Chrome = Pick<PageChrome, 'branding'>;

async function chromeOf(ctx: AppContext, request: FastifyRequest): Promise<Chrome> {
  const { branding } = await pageChrome(ctx, request);
  return branding ? { branding } : {};
}

interface FormValues {
  email?: string;
  name?: string;
  error?: { field: string; message: string };
}

function setupForm(chrome: Chrome, token: string, csrf: string, values: FormValues = {}): string {
  const { error } = values;
  const invalid = (field: string, hint?: string) => {
    const described = [error?.field === field ? 'setup-error' : undefined, hint].filter(Boolean).join(' ');
    return html`${error?.field === field ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}`;
  };
  const body = html`<h1>Create the first administrator</h1>
<p class="lead">This link works once, for one hour. The account you create here can sign in to the console and manage this Latch.</p>
${error ? html`<div class="alert" role="alert" id="setup-error">${error.message}</div>` : ''}
<form method="post" action="${SETUP_PATH}">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="token" value="${token}">
<div class="field">
<label for="email">Email address</label>
<input id="email" type="email" name="email" autocomplete="username" required autocapitalize="none" spellcheck="false" value="${values.email ?? ''}"${invalid('email')}${error?.field === 'email' || !error ? html` autofocus` : ''}>
</div>
<div class="field">
<label for="name">Name</label>
<input id="name" type="text" name="name" autocomplete="name" required value="${values.name ?? ''}"${invalid('name')}${error?.field === 'name' ? html` autofocus` : ''}>
</div>
<div class="field">
<label for="password">Password</label>
<p class="muted" id="password-hint">At least 8 characters, not one of the most common passwords.</p>
<input id="password" type="password" name="password" autocomplete="new-password" required minlength="8"${invalid('password', 'password-hint')}${error?.field === 'password' ? html` autofocus` : ''}>
</div>
<button type="submit" class="button button-primary">Create administrator</button>
</form>`;
  return page({ title: 'Set up Latch', body, ...chrome });
}

const refusals: Record<Exclude<SetupTokenState, 'valid'>, { status: number; title: string; text: string }> = {
  invalid: {
    status: 410,
    title: 'This setup link cannot be used',
    text: 'The link is wrong, has expired (it is valid for one hour) or has been used already. Restart Latch to print a new one while there is no administrator, or create one from the shell with latch users create --email you@example.com --role admin.',
  },
  admin_exists: {
    status: 400,
    title: 'Latch already has an administrator',
    text: 'The setup link only creates the first administrator. Sign in to the console, or ask an administrator to give you the admin role.',
  },
};

function refusal(reply: FastifyReply, chrome: Chrome, reason: Exclude<SetupTokenState, 'valid'>): FastifyReply {
  const r = refusals[reason];
  const body = html`<h1>${r.title}</h1>
<div class="alert" role="alert"><p>${r.text}</p></div>
<p><a href="/console/">Go to the console</a></p>`;
  return sendPage(reply, page({ title: r.title, body, ...chrome }), { status: r.status });
}

async function showSetup(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const token = queryParams(request).params.get('token') ?? '';
  const state = await checkSetupToken(ctx.store, token, ctx.now());
  const chrome = await chromeOf(ctx, request);
  if (state !== 'valid') return refusal(reply, chrome, state);
  return sendPage(reply, setupForm(chrome, token, csrfToken(ctx, ensureBrowserId(ctx, request, reply))));
}

async function submitSetup(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { params } = bodyParams(request);
  const token = params.get('token') ?? '';
  const chrome = await chromeOf(ctx, request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) {
    const body = html`<h1>Please try again</h1>
<div class="alert" role="alert"><p>The form had expired or came from another browser. Open the setup link again.</p></div>`;
    return sendPage(reply, page({ title: 'Please try again', body, ...chrome }), { status: 400 });
  }
  const input = { email: params.get('email') ?? '', name: params.get('name') ?? '', password: params.get('password') ?? '' };
  const by = { sub: null, clientId: null, address: request.ip };
  try {
    const result = await completeSetup(ctx.store, ctx.passwords, token, input, by, ctx.now());
    if (!result.ok) return refusal(reply, chrome, result.reason);
    await startSession(ctx, request, reply, result.user.sub);
    return reply.header('Cache-Control', 'no-store').redirect('/console/', 303);
  } catch (err) {
    if (!(err instanceof AdminInputError)) throw err;
    const csrf = csrfToken(ctx, ensureBrowserId(ctx, request, reply));
    const form = setupForm(chrome, token, csrf, { email: input.email, name: input.name, error: { field: err.field, message: `${labels[err.field] ?? err.field}: ${err.reason}` } });
    return sendPage(reply, form, { status: 400 });
  }
}

const labels: Record<string, string> = { email: 'Email address', name: 'Name', password: 'Password' };

export function registerConsoleSetup(app: FastifyInstance, ctx: AppContext): void {
  const options = { config: { page: true } };
  app.get(SETUP_PATH, options, (request, reply) => showSetup(ctx, request, reply));
  app.post(SETUP_PATH, options, (request, reply) => submitSetup(ctx, request, reply));
}
