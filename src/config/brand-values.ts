/**
 * The values an operator may give the pages' branding, shared by the config schema (LATCH_BRAND_*) and the
 * branding service (admin API, console), so that both accept exactly the same.
 */
import { z } from 'zod';

const loopbackHosts = new Set(['localhost', '[::1]']);

/** localhost, 127.0.0.0/8 or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
  return loopbackHosts.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function parse(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** An image Latch fetches itself: https, or http on a loopback host (development), without credentials. */
export function isImageSourceUrl(value: string): boolean {
  const url = parse(value);
  if (!url || url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** A link the pages show (privacy policy, terms, support): an absolute http(s) URL without credentials. */
export function isLinkUrl(value: string): boolean {
  const url = parse(value);
  if (!url || url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || url.protocol === 'http:';
}

export const PRODUCT_NAME_MAX = 64;
export const BRAND_URL_MAX = 2048;

export const productNameValue = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(PRODUCT_NAME_MAX, `must be at most ${PRODUCT_NAME_MAX} characters`)
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');

export const logoUriValue = z
  .string()
  .trim()
  .max(BRAND_URL_MAX, `must be at most ${BRAND_URL_MAX} characters`)
  .refine(isImageSourceUrl, 'must be an https URL (or http on localhost / 127.0.0.1 / [::1]) without credentials');

/** No transform (lower-casing is the caller's), so that the admin API's OpenAPI document can be generated from it. */
export const primaryColorValue = z
  .string()
  .trim()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour in the form #rrggbb');

export const linkUrlValue = z
  .string()
  .trim()
  .max(BRAND_URL_MAX, `must be at most ${BRAND_URL_MAX} characters`)
  .refine(isLinkUrl, 'must be an absolute https (or http) URL without credentials');
