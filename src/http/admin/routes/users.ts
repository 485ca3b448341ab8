import { z } from 'zod';
import { resetFactors } from '../../../admin/factors.js';
import { endAllSessions } from '../../../admin/sessions.js';
import {
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  getUser,
  grantRole,
  listUsers,
  revokeRole,
  setPassword,
  updateUser,
  userToJson,
  type CreateUserInput,
  type UpdateUserInput,
} from '../../../admin/users.js';
import type { UserProfile, UserRecord } from '../../../storage/types.js';
import { pageOf, pageQuery, pageQueryShape, route, searchShape, unixTime } from '../route.js';

const text = z.string().max(2048);
const claim = text.nullable().optional();
const addressFields = {
  formatted: claim,
  street_address: claim,
  locality: claim,
  region: claim,
  postal_code: claim,
  country: claim,
};
/** OIDC Core §5.1 profile claims an operator may set; admin/user-claims.ts checks each value. */
const profileClaims = {
  name: claim,
  given_name: claim,
  family_name: claim,
  middle_name: claim,
  nickname: claim,
  preferred_username: claim,
  profile: claim,
  picture: claim,
  website: claim,
  gender: claim,
  birthdate: claim,
  zoneinfo: claim,
  locale: claim,
  phone_number: claim,
  phone_number_verified: z.boolean().nullable().optional(),
  address: z.strictObject(addressFields).nullable().optional(),
};

const out = z.string().optional();
export const userSchema = z.object({
  sub: z.string(),
  email: z.string(),
  email_verified: z.boolean(),
  name: out,
  given_name: out,
  family_name: out,
  middle_name: out,
  nickname: out,
  preferred_username: out,
  profile: out,
  picture: out,
  website: out,
  gender: out,
  birthdate: out,
  zoneinfo: out,
  locale: out,
  phone_number: out,
  phone_number_verified: z.boolean().optional(),
  address: z.record(z.string(), z.string()).optional(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
  disabled_at: unixTime.nullable(),
  has_password: z.boolean(),
  created_at: unixTime,
  updated_at: unixTime,
});

const userParams = z.strictObject({ sub: z.string().min(1).max(256) });
const roleParams = z.strictObject({ sub: z.string().min(1).max(256), role: z.string().min(1).max(64) });
const tag = 'users';
const asJson = (user: UserRecord) => userToJson(user) as z.input<typeof userSchema>;

/** Claims without null (a new user has nothing to remove). */
function profileOf(claims: Record<string, unknown>): UserProfile {
  const profile: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(claims)) {
    if (value === null || value === undefined) continue;
    if (key === 'address' && typeof value === 'object') {
      profile.address = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined));
    } else profile[key] = value;
  }
  return profile as UserProfile;
}

export const userRoutes = [
  route({
    method: 'GET',
    path: '/users',
    operationId: 'listUsers',
    summary: 'List people, oldest first (q searches email, sub and name)',
    tag,
    scope: 'admin:read',
    query: z.strictObject({ ...pageQueryShape, ...searchShape }),
    response: pageOf(userSchema),
    async handler({ ctx, query }) {
      const page = await listUsers(ctx.store, pageQuery(query));
      return { items: page.items.map(asJson), next_cursor: page.nextCursor };
    },
  }),
  route({
    method: 'POST',
    path: '/users',
    operationId: 'createUser',
    summary: 'Create a person (OIDC claim names), optionally with a password and roles',
    tag,
    scope: 'admin:write',
    body: z.strictObject({
      email: z.string().min(1).max(254),
      email_verified: z.boolean().optional(),
      password: z.string().max(1024).optional(),
      roles: z.array(z.string().max(64)).max(20).optional(),
      ...profileClaims,
    }),
    response: userSchema,
    status: 201,
    async handler({ ctx, body, caller, now }) {
      const { email, email_verified, password, roles, ...claims } = body;
      const input: CreateUserInput & { roles?: string[] } = { email, profile: profileOf(claims) };
      if (email_verified !== undefined) input.emailVerified = email_verified;
      if (password !== undefined) input.password = password;
      if (roles !== undefined) input.roles = roles;
      return asJson(await createUser(ctx.store, ctx.passwords, input, now, caller.actor));
    },
  }),
  route({
    method: 'GET',
    path: '/users/{sub}',
    operationId: 'getUser',
    summary: 'Show one person',
    tag,
    scope: 'admin:read',
    params: userParams,
    response: userSchema,
    async handler({ ctx, params }) {
      return asJson(await getUser(ctx.store, params.sub));
    },
  }),
  route({
    method: 'PATCH',
    path: '/users/{sub}',
    operationId: 'updateUser',
    summary: 'Change email, email_verified and profile claims; null removes a claim',
    tag,
    scope: 'admin:write',
    params: userParams,
    body: z.strictObject({ email: z.string().min(1).max(254).optional(), email_verified: z.boolean().optional(), ...profileClaims }),
    response: userSchema,
    async handler({ ctx, params, body, caller, now }) {
      const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as UpdateUserInput;
      return asJson(await updateUser(ctx.store, params.sub, patch, caller.actor, now));
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{sub}',
    operationId: 'deleteUser',
    summary: 'Delete a person and everything issued to them',
    tag,
    scope: 'admin:write',
    params: userParams,
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await getUser(ctx.store, params.sub);
      await deleteUser(ctx.store, params.sub, caller.actor, now, ctx.backchannelLogout);
    },
  }),
  route({
    method: 'PUT',
    path: '/users/{sub}/password',
    operationId: 'setUserPassword',
    summary: "Set a person's password (8 to 1024 characters, not one of the most common passwords)",
    tag,
    scope: 'admin:write',
    params: userParams,
    body: z.strictObject({ password: z.string().max(1024) }),
    status: 204,
    async handler({ ctx, params, body, caller, now }) {
      await getUser(ctx.store, params.sub);
      await setPassword(ctx.store, ctx.passwords, params.sub, body.password, now, caller.actor);
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{sub}/factors',
    operationId: 'resetUserFactors',
    summary: "Reset a person's second factors (a lost device): their authenticator app, recovery codes and passkeys are removed",
    tag,
    scope: 'admin:write',
    params: userParams,
    status: 204,
    async handler({ ctx, params, caller, now }) {
      await resetFactors(ctx.store, params.sub, caller.actor, now);
    },
  }),
  route({
    method: 'POST',
    path: '/users/{sub}/disable',
    operationId: 'disableUser',
    summary: 'Disable a person: no sign-in, their grants and tokens revoked, their sessions ended',
    tag,
    scope: 'admin:write',
    params: userParams,
    response: userSchema,
    async handler({ ctx, params, caller, now }) {
      return asJson(await disableUser(ctx.store, params.sub, caller.actor, now, ctx.backchannelLogout));
    },
  }),
  route({
    method: 'POST',
    path: '/users/{sub}/enable',
    operationId: 'enableUser',
    summary: 'Enable a disabled person again',
    tag,
    scope: 'admin:write',
    params: userParams,
    response: userSchema,
    async handler({ ctx, params, caller, now }) {
      return asJson(await enableUser(ctx.store, params.sub, caller.actor, now));
    },
  }),
  route({
    method: 'PUT',
    path: '/users/{sub}/roles/{role}',
    operationId: 'grantUserRole',
    summary: 'Give a person a role (admin lets them into the console and the admin API)',
    tag,
    scope: 'admin:write',
    params: roleParams,
    response: userSchema,
    async handler({ ctx, params, caller, now }) {
      return asJson(await grantRole(ctx.store, params.sub, params.role, caller.actor, now));
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{sub}/roles/{role}',
    operationId: 'revokeUserRole',
    summary: "Take a role away (taking admin away revokes the person's admin tokens)",
    tag,
    scope: 'admin:write',
    params: roleParams,
    response: userSchema,
    async handler({ ctx, params, caller, now }) {
      return asJson(await revokeRole(ctx.store, params.sub, params.role, caller.actor, now));
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{sub}/sessions',
    operationId: 'endUserSessions',
    summary: "End every single sign-on session of a person; answers how many",
    tag,
    scope: 'admin:write',
    params: userParams,
    response: z.object({ ended: z.number().int() }),
    async handler({ ctx, params, caller, now }) {
      return { ended: await endAllSessions(ctx.store, params.sub, caller.actor, now, ctx.backchannelLogout) };
    },
  }),
];
