/**
 * The emails of the accounts that look after themselves: "verify your email address", "reset your password" and
 * "your password was changed". Each is worded from the pages' message catalogue in the person's language and
 * carries the branding (product name, primary colour, logo, footer links), as plain text plus HTML in which every
 * value is escaped. The one link a message asks the person to follow is an absolute URL of the issuer.
 */
import { type BrandingConfig, type EffectiveBranding, getBranding } from '../admin/branding.js';
import { contrast, parseHexColor } from '../pages/brand-css.js';
import { html, type HtmlSafe, safeUrl } from '../pages/html.js';
import { type Locale, type MessageKey, translator, type Translator } from '../pages/messages/index.js';
import type { Store } from '../storage/types.js';
import type { MailMessage } from './mailer.js';

/** Where Latch serves its copy of the brand logo (http/routes/brand-assets.ts). */
export const BRAND_LOGO_PATH = '/assets/logo/brand';

const defaultPrimary = '#1f5bd8';

/** What every message is branded with: the issuer (for the logo and links) and the effective branding. */
export interface MailBrand {
  issuer: string;
  branding: EffectiveBranding;
}

export interface MailRecipient {
  /** One email address. */
  to: string;
  locale: Locale;
}

/** The branding as the pages show it now (stored settings over LATCH_BRAND_*), for the messages. */
export async function mailBrand(store: Pick<Store, 'settings'>, config: Partial<BrandingConfig> & { issuer: string }): Promise<MailBrand> {
  return { issuer: config.issuer, branding: await getBranding(store, config) };
}

/**
 * `link` unchanged when it is an absolute http(s) URL under the issuer (same origin, and within the issuer's path);
 * throws otherwise, so a message never sends a person anywhere else.
 */
export function issuerLink(issuer: string, link: string): string {
  const base = new URL(issuer);
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new TypeError('a link in an email must be an absolute URL of the issuer');
  }
  const basePath = base.pathname.replace(/\/$/, '');
  const within = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== base.origin || url.username || url.password || !within) {
    throw new TypeError('a link in an email must be an absolute URL of the issuer');
  }
  return url.href;
}

type Block =
  | { kind: 'text'; key: MessageKey; params?: Readonly<Record<string, string | number>> }
  | { kind: 'action'; key: MessageKey; link: string };

interface Composition {
  subject: MessageKey;
  blocks: Block[];
}

/** The footer links, kept only when they are http(s) URLs (the branding validates them; this is a second guard). */
function footerLinks(t: Translator, links: EffectiveBranding['links']): Array<{ label: string; url: string }> {
  const out: Array<{ label: string; url: string }> = [];
  for (const [url, key] of [
    [links.privacy, 'page.privacy'],
    [links.terms, 'page.terms'],
    [links.support, 'page.support'],
  ] as const) {
    if (!url || url.startsWith('/')) continue;
    try {
      out.push({ label: t.text(key), url: safeUrl(url) });
    } catch {
      // Not an http(s) URL: left out.
    }
  }
  return out;
}

function textPart(t: Translator, brand: MailBrand, blocks: Block[]): string {
  const product = brand.branding.productName;
  const lines: string[] = [product, '', t.text('mail.greeting'), ''];
  for (const block of blocks) {
    if (block.kind === 'text') lines.push(t.text(block.key, { product, ...block.params }), '');
    else lines.push(`${t.text(block.key)}:`, block.link, '');
  }
  lines.push('--', t.text('mail.sent_by', { product }));
  for (const { label, url } of footerLinks(t, brand.branding.links)) lines.push(`${label}: ${url}`);
  return `${lines.join('\n')}\n`;
}

function colours(primaryColor: string | null): { primary: string; onPrimary: string } {
  const primary = primaryColor && parseHexColor(primaryColor) ? primaryColor.toLowerCase() : defaultPrimary;
  const rgb = parseHexColor(primary) ?? [31, 91, 216];
  const onPrimary = contrast(rgb, [255, 255, 255]) >= contrast(rgb, [0, 0, 0]) ? '#ffffff' : '#000000';
  return { primary, onPrimary };
}

function htmlPart(t: Translator, brand: MailBrand, subject: string, blocks: Block[]): string {
  const product = brand.branding.productName;
  const { primary, onPrimary } = colours(brand.branding.primaryColor);
  const logo = brand.branding.logoUri
    ? html`<img src="${`${brand.issuer}${BRAND_LOGO_PATH}`}" alt="${product}" height="40" style="display:block;height:40px;max-width:200px;border:0">`
    : html`<strong style="font-size:20px;color:${primary}">${product}</strong>`;
  const body: HtmlSafe[] = blocks.map((block) =>
    block.kind === 'text'
      ? html`<p style="margin:0 0 16px">${t.text(block.key, { product, ...block.params })}</p>`
      : html`<p style="margin:24px 0"><a href="${block.link}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:${primary};color:${onPrimary};text-decoration:none;font-weight:600">${t.text(block.key)}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#59636e">${t.text('mail.link_fallback')}<br><a href="${block.link}" style="color:${primary};word-break:break-all">${block.link}</a></p>`,
  );
  const footer = footerLinks(t, brand.branding.links).map(({ label, url }) => html` · <a href="${url}" style="color:#59636e">${label}</a>`);
  return html`<!doctype html>
<html lang="${t.locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${subject}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;line-height:1.5">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f4f6"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border:1px solid #d8dee4;border-radius:8px;border-top:4px solid ${primary}">
<tr><td style="padding:24px 24px 8px">${logo}</td></tr>
<tr><td style="padding:8px 24px 8px;font-size:15px">
<p style="margin:0 0 16px">${t.text('mail.greeting')}</p>
${body}
</td></tr>
<tr><td style="padding:16px 24px 24px;border-top:1px solid #d8dee4;font-size:12px;color:#59636e">${t.text('mail.sent_by', { product })}${footer}</td></tr>
</table>
</td></tr></table>
</body>
</html>
`.toString();
}

function compose(brand: MailBrand, recipient: MailRecipient, composition: Composition): MailMessage {
  const t = translator(recipient.locale);
  const subject = t.text(composition.subject, { product: brand.branding.productName });
  return { to: recipient.to, subject, text: textPart(t, brand, composition.blocks), html: htmlPart(t, brand, subject, composition.blocks) };
}

/** After sign-up (or an email change): the single-use link that proves the person owns the address. */
export function verifyEmailMessage(brand: MailBrand, recipient: MailRecipient, options: { link: string; validMinutes: number }): MailMessage {
  const link = issuerLink(brand.issuer, options.link);
  return compose(brand, recipient, {
    subject: 'mail.verify.subject',
    blocks: [
      { kind: 'text', key: 'mail.verify.lead', params: { email: recipient.to } },
      { kind: 'action', key: 'mail.verify.action', link },
      { kind: 'text', key: 'mail.verify.expires', params: { minutes: options.validMinutes } },
      { kind: 'text', key: 'mail.verify.ignore' },
    ],
  });
}

/** "Forgot password?": the single-use link to choose a new password. */
export function resetPasswordMessage(brand: MailBrand, recipient: MailRecipient, options: { link: string; validMinutes: number }): MailMessage {
  const link = issuerLink(brand.issuer, options.link);
  return compose(brand, recipient, {
    subject: 'mail.reset.subject',
    blocks: [
      { kind: 'text', key: 'mail.reset.lead', params: { email: recipient.to } },
      { kind: 'action', key: 'mail.reset.action', link },
      { kind: 'text', key: 'mail.reset.expires', params: { minutes: options.validMinutes } },
      { kind: 'text', key: 'mail.reset.ignore' },
    ],
  });
}

/** After a password change or reset: tells the owner, with a way to reset it when it was not them. */
export function passwordChangedMessage(brand: MailBrand, recipient: MailRecipient, options: { resetLink?: string } = {}): MailMessage {
  const blocks: Block[] = [
    { kind: 'text', key: 'mail.changed.lead', params: { email: recipient.to } },
    { kind: 'text', key: 'mail.changed.not_you' },
  ];
  if (options.resetLink) blocks.push({ kind: 'action', key: 'mail.changed.action', link: issuerLink(brand.issuer, options.resetLink) });
  return compose(brand, recipient, { subject: 'mail.changed.subject', blocks });
}

/** Sign-up with an address that has an account already: its owner is told (the form answers as for a new address). */
export function signupAttemptMessage(brand: MailBrand, recipient: MailRecipient, options: { resetLink: string }): MailMessage {
  return compose(brand, recipient, {
    subject: 'signup.mail_exists_subject',
    blocks: [
      { kind: 'text', key: 'signup.mail_exists_lead', params: { email: recipient.to } },
      { kind: 'text', key: 'signup.mail_exists_ignore' },
      { kind: 'action', key: 'signup.mail_exists_action', link: issuerLink(brand.issuer, options.resetLink) },
    ],
  });
}
