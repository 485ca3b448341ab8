/**
 * The interaction a second-factor route continues (issue 13): an authorization request or a device code (RFC 8628
 * §3.3). The factor routes are one flow for both; only how the interaction is resumed, what step it still needs and
 * where the browser goes back to differ, and those are here.
 */
import type { FastifyRequest } from 'fastify';
import { hasSecondFactor, secondFactorStep } from '../../core/accounts/mfa-policy.js';
import type { Authentication } from '../../core/authorize/decide.js';
import { forPerson } from '../../core/authorize/proceed.js';
import { isOAuthError } from '../../core/errors.js';
import { resumeAuthorize, type ResumedAuthorize } from '../../core/interaction/authorize.js';
import { nextDevice } from '../../core/interaction/device.js';
import type { ErrorStep, SecondFactor } from '../../core/interaction/next.js';
import { authenticationFor, subjectOf } from '../../core/interaction/record.js';
import { currentSession } from '../cookies.js';
import type { AppContext } from '../context.js';
import { authorizeDeps } from '../authorize-flow.js';
import { type LoadedInteraction, loadInteraction } from '../interaction-pages.js';
import { deviceDeps, deviceFactorTarget, type DeviceInteraction, interactionUrl, resumeDeviceInteraction } from './device.js';
import { authorizeFactorTarget, type FactorTarget } from './second-factor-page.js';

export type FactorJourney =
  | { kind: 'authorize'; interaction: LoadedInteraction; resumed: ResumedAuthorize }
  | { kind: 'device'; interaction: LoadedInteraction; resumed: DeviceInteraction };

/** Why a journey could not be resumed: no interaction of this browser, a device code no longer pending, an error step. */
export type NotResumed = { kind: 'expired' } | { kind: 'device_gone' } | { kind: 'error'; error: ErrorStep };

/** The interaction of this browser named in the URL, re-validated (authorize) or with its pending device code. */
export async function loadFactorJourney(ctx: AppContext, request: FastifyRequest): Promise<FactorJourney | NotResumed> {
  const interaction = await loadInteraction(ctx, request);
  const subject = interaction && subjectOf(interaction.record);
  if (!interaction || !subject) return { kind: 'expired' };
  if (subject.kind === 'device') {
    const resumed = await resumeDeviceInteraction(ctx, request, interaction, subject.deviceCodeDigest);
    return resumed ? { kind: 'device', interaction, resumed } : { kind: 'device_gone' };
  }
  const resumed = await resumeAuthorize(authorizeDeps(ctx), interaction.record, subject.request);
  if (resumed.kind === 'error') return { kind: 'error', error: resumed };
  return { kind: 'authorize', interaction, resumed };
}

export function isResumed(loaded: FactorJourney | NotResumed): loaded is FactorJourney {
  return loaded.kind === 'authorize' || loaded.kind === 'device';
}

/** Who signed in with the first factor, and the second-factor step the interaction still needs (none: go on). */
export async function pendingFactor(ctx: AppContext, request: FastifyRequest, loaded: FactorJourney): Promise<{ auth: Authentication; step: SecondFactor | undefined } | undefined> {
  const signedIn = authenticationFor(loaded.interaction.record, await currentSession(ctx, request));
  if (loaded.kind === 'device') {
    if (!signedIn) return undefined;
    const next = await nextDevice(deviceDeps(ctx), loaded.resumed, signedIn);
    if (next.kind === 'login') return undefined;
    return { auth: next.auth, step: next.kind === 'second_factor' ? next : undefined };
  }
  const { auth, authz } = await forPerson(ctx.store.users, loaded.resumed.request, signedIn);
  if (!auth) return undefined;
  try {
    return { auth, step: secondFactorStep(authz, auth, ctx.config.mfa, ctx.config.mfa === 'enrolled' && (await hasSecondFactor(ctx.store, auth))) };
  } catch (err) {
    if (isOAuthError(err)) return { auth, step: undefined };
    throw err;
  }
}

/** Where the browser goes on when the factor is done: the interaction's own page (the device page carries its user code). */
export function resumeUrl(loaded: FactorJourney): string {
  return loaded.kind === 'device' ? interactionUrl(loaded.resumed) : `/interaction/${loaded.interaction.id}`;
}

export function factorTarget(loaded: FactorJourney): FactorTarget {
  return loaded.kind === 'device' ? deviceFactorTarget(loaded.resumed) : authorizeFactorTarget(loaded.resumed.request, loaded.interaction);
}

/** OIDC Core §3.1.2.1: an authorization request's ui_locales; the device pages speak Accept-Language. */
export function uiLocalesOf(loaded: FactorJourney): string | undefined {
  return loaded.kind === 'authorize' ? loaded.resumed.request.uiLocales : undefined;
}
