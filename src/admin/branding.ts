/**
 * Branding of the pages (product name, logo, primary colour, footer links): the one service that changes it, for
 * the admin API, the console and the CLI, and the one function the pages read it with. Stored settings win over
 * the LATCH_BRAND_* config defaults, which win over "Latch"; the pages read it from the store on every render, so a
 * change shows at once on every instance.
 */
import { z } from 'zod';
import { linkUrlValue, logoUriValue, primaryColorValue, productNameValue } from '../config/brand-values.js';
import type { Config } from '../config/schema.js';
import { type Actor, recordEvent } from '../observability/events.js';
import type { BrandingSettings, Store } from '../storage/types.js';
import { AdminInputError } from './errors.js';

export const DEFAULT_PRODUCT_NAME = 'Latch';

/**
 * The body of `PUT /admin/api/settings/branding`. A field left out keeps its stored value; null clears it (the
 * pages then show the config default, or Latch's own).
 */
export const brandingInputSchema = z
  .strictObject({
    product_name: productNameValue.nullable().optional().describe('Product name in the title and header of every page (1 to 64 characters).'),
    logo_uri: logoUriValue
      .nullable()
      .optional()
      .describe('https (or loopback http) URL of a PNG, JPEG, GIF or WebP logo of at most 256 KB; pages show a copy served by Latch.'),
    primary_color: primaryColorValue.nullable().optional().describe('Primary colour of the pages, #rrggbb.'),
    links: z
      .strictObject({
        privacy: linkUrlValue.nullable().optional().describe('Privacy policy URL.'),
        terms: linkUrlValue.nullable().optional().describe('Terms of service URL.'),
        support: linkUrlValue.nullable().optional().describe('Support URL.'),
      })
      .optional()
      .describe('Footer links of every page.'),
  })
  .describe('Branding of the sign-in, consent, device, logout and error pages.');

export type BrandingInput = z.input<typeof brandingInputSchema>;

const nullableUrl = z.string().nullable();

/** What `GET /admin/api/settings/branding` answers (brandingToJson), for the OpenAPI document. */
export const brandingOutputSchema = z
  .strictObject({
    product_name: z.string().nullable(),
    logo_uri: nullableUrl,
    primary_color: z.string().nullable(),
    links: z.strictObject({ privacy: nullableUrl, terms: nullableUrl, support: nullableUrl }),
    updated_at: z.number().int().nullable().describe('Unix seconds of the last change; null when nothing is stored.'),
  })
  .describe('Branding of the pages.');

/** What the pages show: every field resolved (stored, else config, else Latch's default). */
export interface EffectiveBranding {
  productName: string;
  logoUri: string | null;
  primaryColor: string | null;
  links: { privacy: string | null; terms: string | null; support: string | null };
  /** When the stored settings last changed; null when nothing is stored. */
  updatedAt: number | null;
}

export type BrandingConfig = Pick<Config, 'brandName' | 'brandLogoUri' | 'brandPrimaryColor' | 'brandPrivacyUrl' | 'brandTermsUrl' | 'brandSupportUrl'>;

const nowSeconds = () => Math.floor(Date.now() / 1000);

const empty: BrandingSettings = { productName: null, logoUri: null, primaryColor: null, links: { privacy: null, terms: null, support: null }, updatedAt: 0 };

function inputError(error: z.ZodError): AdminInputError {
  const issue = error.issues[0];
  if (!issue) return new AdminInputError('branding', 'is not valid');
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
    return new AdminInputError(`${prefix}${issue.keys[0] ?? ''}`, 'is not a branding setting');
  }
  const field = issue.path.length ? issue.path.join('.') : 'branding';
  return new AdminInputError(field, issue.message);
}

/** Validates the input; throws AdminInputError naming the field (e.g. `links.privacy`). */
export function parseBrandingInput(input: unknown): z.output<typeof brandingInputSchema> {
  const parsed = brandingInputSchema.safeParse(input);
  if (!parsed.success) throw inputError(parsed.error);
  return parsed.data;
}

function pick<T>(value: T | null | undefined, current: T | null): T | null {
  return value === undefined ? current : value;
}

/** Validates and stores the branding (fields left out are kept), and records `settings.branding_updated`. */
export async function putBranding(
  store: Pick<Store, 'settings' | 'events'>,
  input: unknown,
  by?: Actor,
  now: number = nowSeconds(),
): Promise<BrandingSettings> {
  const patch = parseBrandingInput(input);
  const current = (await store.settings.getBranding()) ?? empty;
  const next: BrandingSettings = {
    productName: pick(patch.product_name, current.productName),
    logoUri: pick(patch.logo_uri, current.logoUri),
    primaryColor: pick(typeof patch.primary_color === 'string' ? patch.primary_color.toLowerCase() : patch.primary_color, current.primaryColor),
    links: {
      privacy: pick(patch.links?.privacy, current.links.privacy),
      terms: pick(patch.links?.terms, current.links.terms),
      support: pick(patch.links?.support, current.links.support),
    },
    updatedAt: now,
  };
  await store.settings.putBranding(next);
  const changed = changedFields(current, next);
  await recordEvent(store, { type: 'settings.branding_updated', ...(by ? { by } : {}), data: { changed } }, now);
  return next;
}

function changedFields(before: BrandingSettings, after: BrandingSettings): string[] {
  const out: string[] = [];
  if (before.productName !== after.productName) out.push('product_name');
  if (before.logoUri !== after.logoUri) out.push('logo_uri');
  if (before.primaryColor !== after.primaryColor) out.push('primary_color');
  for (const key of ['privacy', 'terms', 'support'] as const) {
    if (before.links[key] !== after.links[key]) out.push(`links.${key}`);
  }
  return out;
}

/** Stored settings over the LATCH_BRAND_* config over Latch's defaults, field by field. */
export function effectiveBranding(stored: BrandingSettings | undefined, config: Partial<BrandingConfig>): EffectiveBranding {
  return {
    productName: stored?.productName ?? config.brandName ?? DEFAULT_PRODUCT_NAME,
    logoUri: stored?.logoUri ?? config.brandLogoUri ?? null,
    primaryColor: stored?.primaryColor ?? config.brandPrimaryColor ?? null,
    links: {
      privacy: stored?.links.privacy ?? config.brandPrivacyUrl ?? null,
      terms: stored?.links.terms ?? config.brandTermsUrl ?? null,
      support: stored?.links.support ?? config.brandSupportUrl ?? null,
    },
    updatedAt: stored?.updatedAt ?? null,
  };
}

export async function getBranding(store: Pick<Store, 'settings'>, config: Partial<BrandingConfig>): Promise<EffectiveBranding> {
  return effectiveBranding(await store.settings.getBranding(), config);
}

/** The JSON of the admin API (RFC 7591-style snake_case names), for stored or effective branding. */
export function brandingToJson(b: BrandingSettings | EffectiveBranding): Record<string, unknown> {
  return {
    product_name: b.productName,
    logo_uri: b.logoUri,
    primary_color: b.primaryColor,
    links: { privacy: b.links.privacy, terms: b.links.terms, support: b.links.support },
    updated_at: b.updatedAt || null,
  };
}
