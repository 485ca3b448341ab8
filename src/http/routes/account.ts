/**
 * /account (issue 13): a signed-in person's own page. Edit the profile, change the password (asks the current one),
 * change the email (asks the password; the new address is mailed a link and the change waits for it), see their
 * sessions and end them, see the applications they allowed and revoke one: its grants, with every token issued from
 * them, and the consent. Every form is CSRF-checked; without a session each path goes to /account/login first.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { revokeGrant } from '../../admin/grants.js';
import { AdminInputError, setPassword, updateUser } from '../../admin/users.js';
import { ACR_MFA, acrFor, satisfiesAcr } from '../../core/accounts/acr.js';
import { issueAccountToken, validMinutes } from '../../core/accounts/account-tokens.js';
import { cleanEmail, passwordProblemKind } from '../../core/accounts/signup.js';
import { clientName } from '../../core/interaction/record.js';
import { passwordChangedMessage, verifyEmailMessage } from '../../mail/index.js';
import { recordEvent } from '../../observability/events.js';
import { message, type PageMessage } from '../../pages/index.js';
import { type AccountApplication, accountPage, type AccountPageOptions } from '../../pages/pages/account.js';
import type { SessionRecord, UserRecord } from '../../storage/types.js';
import { checkCsrf, endSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { bodyParams } from '../form.js';
import { noStore, sendPage } from '../responses.js';
import { brandOf, chromeOf, field, formCsrf, issuerUrl, pageRoute, passwordProblemMessage, personActor, personLocale, sendFormExpired, sendMailInBackground, sendMailOrPage } from './account-shared.js';
import { needsSecondFactor } from './account-factor-state.js';
import { checkOwnPassword, registerAccountLogin, requireSignedIn } from './account-login.js';

interface SignedIn {
  session: SessionRecord;
  user: UserRecord;
}

/** The applications the person allowed: their live grants, one line per client, with the client's name. */
async function applicationsOf(ctx: AppContext, sub: string): Promise<AccountApplication[]> {
  const byClient = new Map<string, AccountApplication>();
  for (const grant of await ctx.store.grants.listBySub(sub)) {
    if (grant.revokedAt !== null) continue;
    const known = byClient.get(grant.clientId);
    if (known) {
      known.since = Math.min(known.since, grant.createdAt);
      continue;
    }
    const client = await ctx.store.clients.find(grant.clientId);
    byClient.set(grant.clientId, { clientId: grant.clientId, name: client ? clientName(client) : grant.clientId, since: grant.createdAt });
  }
  return [...byClient.values()].sort((a, b) => a.since - b.since);
}

async function render(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  signedIn: SignedIn,
  result: { notice?: PageMessage; error?: AccountPageOptions['error']; status?: number } = {},
): Promise<FastifyReply> {
  const user = (await ctx.store.users.findBySub(signedIn.user.sub)) ?? signedIn.user;
  const now = ctx.now();
  const sessions = (await ctx.store.sessions.listBySub(user.sub, now))
    .sort((a, b) => b.authTime - a.authTime)
    .map((s) => ({ sid: s.sid, authTime: s.authTime, current: s.sid === signedIn.session.sid }));
  const { name, given_name, family_name, locale } = user.profile;
  const body = accountPage({
    csrf: formCsrf(ctx, request, reply),
    email: user.email,
    emailVerified: user.emailVerified,
    profile: { name, given_name, family_name, locale },
    sessions,
    applications: await applicationsOf(ctx, user.sub),
    securityHref: '/account/security',
    ...(result.notice ? { notice: result.notice } : {}),
    ...(result.error ? { error: result.error } : {}),
    ...(await chromeOf(ctx, request)),
  });
  return sendPage(reply, body, { status: result.status ?? 200 });
}

/** A POST of the account page: CSRF first, then the signed-in person (or the way to sign in). */
async function accountForm(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<{ signedIn: SignedIn; params: ReadonlyMap<string, string> } | undefined> {
  const { params } = bodyParams(request);
  if (!checkCsrf(ctx, request, params.get('csrf'))) {
    await sendFormExpired(ctx, request, reply);
    return undefined;
  }
  const signedIn = await requireSignedIn(ctx, request, reply, '/account');
  return signedIn && { signedIn, params };
}

async function show(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const signedIn = await requireSignedIn(ctx, request, reply, '/account');
  return signedIn ? render(ctx, request, reply, signedIn) : reply;
}

async function profile(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = await accountForm(ctx, request, reply);
  if (!form) return reply;
  const { signedIn, params } = form;
  const claim = (name: string) => field(params, name).trim() || null;
  const patch = { name: claim('name'), given_name: claim('given_name'), family_name: claim('family_name'), locale: claim('locale') };
  try {
    await updateUser(ctx.store, signedIn.user.sub, patch, personActor(request, signedIn.user.sub), ctx.now());
  } catch (err) {
    if (!(err instanceof AdminInputError)) throw err;
    return render(ctx, request, reply, signedIn, { error: { section: 'profile', message: message('account.error_profile') }, status: 400 });
  }
  return render(ctx, request, reply, signedIn, { notice: message('account.saved') });
}

/**
 * Issue 13 (security fix): the password and the email are how the account is recovered, so for a person with a
 * second factor a session made with the password alone cannot change them: /account/confirm (password and factor)
 * first. False when the change may go on; else true, and the redirect was sent (a boolean: a reply is thenable).
 */
async function needsBothFactors(ctx: AppContext, reply: FastifyReply, session: SessionRecord): Promise<boolean> {
  if (satisfiesAcr(acrFor(session.amr), ACR_MFA) || !(await needsSecondFactor(ctx, session.sub))) return false;
  void noStore(reply).redirect(`/account/confirm?return_to=${encodeURIComponent('/account')}`, 303);
  return true;
}

async function password(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = await accountForm(ctx, request, reply);
  if (!form) return reply;
  const { signedIn, params } = form;
  if (await needsBothFactors(ctx, reply, signedIn.session)) return reply;
  const refuse = (words: PageMessage, status = 400) => render(ctx, request, reply, signedIn, { error: { section: 'password', message: words }, status });
  const next = field(params, 'new_password');
  const problem = passwordProblemKind(ctx.passwords, next);
  if (problem) return refuse(passwordProblemMessage(ctx, problem));
  // Changing how one signs in asks for the password again (issue 13), whatever the session's age.
  const wrong = await checkOwnPassword(ctx, request, reply, signedIn.user, field(params, 'current_password'));
  if (wrong) return refuse(wrong, reply.getHeader('Retry-After') ? 429 : 401);
  const now = ctx.now();
  const by = personActor(request, signedIn.user.sub);
  await setPassword(ctx.store, ctx.passwords, signedIn.user.sub, next, now, by);
  // Whoever is signed in elsewhere with the old password is signed out; this browser stays.
  let ended = 0;
  const others = (await ctx.store.sessions.listBySub(signedIn.user.sub, now)).filter((other) => other.sid !== signedIn.session.sid);
  const notices = ctx.backchannelLogout && others.length > 0 ? await ctx.backchannelLogout.plan({ sub: signedIn.user.sub, sids: others.map((o) => o.sid) }) : [];
  const endedSids = new Set<string>();
  for (const other of others) {
    if (await ctx.store.sessions.deleteBySid(other.sid)) {
      ended += 1;
      endedSids.add(other.sid);
    }
  }
  ctx.backchannelLogout?.send(notices.filter((n) => n.sid !== null && endedSids.has(n.sid)));
  await ctx.store.accountTokens.deleteBySub(signedIn.user.sub, 'reset_password');
  await recordEvent(ctx.store, { type: 'password.changed', by, sub: signedIn.user.sub, data: { sessions_ended: ended } }, now, request.log);
  const recipient = { to: signedIn.user.email, locale: personLocale(request, signedIn.user) };
  sendMailInBackground(request, ctx, brandOf(ctx).then((brand) => passwordChangedMessage(brand, recipient, { resetLink: issuerUrl(ctx, '/password/forgot') })));
  return render(ctx, request, reply, signedIn, { notice: message('account.password_changed') });
}

async function email(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = await accountForm(ctx, request, reply);
  if (!form) return reply;
  const { signedIn, params } = form;
  if (await needsBothFactors(ctx, reply, signedIn.session)) return reply;
  const refuse = (words: PageMessage, status = 400) => render(ctx, request, reply, signedIn, { error: { section: 'email', message: words }, status });
  const next = cleanEmail(params.get('new_email'));
  if (!next || next === signedIn.user.email) return refuse(message('account.error_email'));
  const wrong = await checkOwnPassword(ctx, request, reply, signedIn.user, field(params, 'current_password'));
  if (wrong) return refuse(wrong, reply.getHeader('Retry-After') ? 429 : 401);
  const now = ctx.now();
  // The address changes only when its owner opens the link (email-verification.ts); until then nothing changes.
  const { token } = await issueAccountToken(ctx.store.accountTokens, { kind: 'change_email', sub: signedIn.user.sub, email: next }, now);
  const mail = verifyEmailMessage(await brandOf(ctx), { to: next, locale: personLocale(request, signedIn.user) }, { link: issuerUrl(ctx, '/verify-email', { token }), validMinutes: validMinutes('change_email') });
  if (!(await sendMailOrPage(ctx, request, reply, mail))) return reply;
  await recordEvent(ctx.store, { type: 'user.email_change_requested', by: personActor(request, signedIn.user.sub), sub: signedIn.user.sub }, now, request.log);
  return render(ctx, request, reply, signedIn, { notice: message('account.email_sent', { email: next }) });
}

async function endOne(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = await accountForm(ctx, request, reply);
  if (!form) return reply;
  const { signedIn, params } = form;
  const now = ctx.now();
  const target = await ctx.store.sessions.findBySid(field(params, 'sid'), now);
  // Only the person's own sessions: another sid is treated as already gone.
  const own = target && target.sub === signedIn.user.sub ? target : undefined;
  // Back-Channel Logout 1.0: the clients of the session that ends get a logout token once it is gone.
  const notices = own && ctx.backchannelLogout ? await ctx.backchannelLogout.plan({ sub: own.sub, sids: [own.sid] }) : [];
  if (own && (await ctx.store.sessions.deleteBySid(own.sid))) {
    await recordEvent(ctx.store, { type: 'session.ended', by: personActor(request, signedIn.user.sub), sub: signedIn.user.sub, data: { sid: own.sid } }, now, request.log);
    ctx.backchannelLogout?.send(notices);
  }
  if (target?.sid === signedIn.session.sid) {
    await endSession(ctx, request, reply);
    return noStore(reply).redirect('/account/login', 303);
  }
  return render(ctx, request, reply, signedIn, { notice: message('account.session_ended') });
}

async function revokeApplication(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const form = await accountForm(ctx, request, reply);
  if (!form) return reply;
  const { signedIn, params } = form;
  const clientId = field(params, 'client_id');
  const now = ctx.now();
  const by = personActor(request, signedIn.user.sub);
  const grants = (await ctx.store.grants.listBySub(signedIn.user.sub)).filter((g) => g.clientId === clientId && g.revokedAt === null);
  // The admin services' revoke: the grant and every code, access and refresh token issued from it.
  for (const grant of grants) await revokeGrant(ctx.store, grant.grantId, now, by);
  // And the consent, so that the application has to ask again.
  await ctx.store.consents.delete(signedIn.user.sub, clientId);
  const client = await ctx.store.clients.find(clientId);
  if (grants.length === 0) return render(ctx, request, reply, signedIn);
  return render(ctx, request, reply, signedIn, { notice: message('account.revoked', { client: client ? clientName(client) : clientId }) });
}

export function registerAccount(app: FastifyInstance, ctx: AppContext): void {
  registerAccountLogin(app, ctx);
  app.get('/account', pageRoute, (request, reply) => show(ctx, request, reply));
  app.post('/account/profile', pageRoute, (request, reply) => profile(ctx, request, reply));
  app.post('/account/password', pageRoute, (request, reply) => password(ctx, request, reply));
  app.post('/account/email', pageRoute, (request, reply) => email(ctx, request, reply));
  app.post('/account/sessions/end', pageRoute, (request, reply) => endOne(ctx, request, reply));
  app.post('/account/applications/revoke', pageRoute, (request, reply) => revokeApplication(ctx, request, reply));
}
