/**
 * The brand stylesheet (/assets/brand.css): the operator's primary colour as the pages' CSS variables, so that the
 * strict CSP keeps style-src 'self' (no inline style). Text colours are adjusted until they meet WCAG 2.2 contrast
 * (4.5:1 for text, 3:1 for the focus ring), in light and in dark mode.
 */
import { createHash } from 'node:crypto';

type Rgb = [number, number, number];

const white: Rgb = [255, 255, 255];
const black: Rgb = [0, 0, 0];
/** The card backgrounds of latch.css, light and dark. */
const lightCard: Rgb = [255, 255, 255];
const darkCard: Rgb = [22, 27, 34];
const darkText: Rgb = [13, 17, 23];

export function parseHexColor(value: string): Rgb | undefined {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(value);
  return m ? [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16), parseInt(m[3] as string, 16)] : undefined;
}

function hex([r, g, b]: Rgb): string {
  return '#' + [r, g, b].map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

/** WCAG 2.2 relative luminance. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function mix(a: Rgb, b: Rgb, amount: number): Rgb {
  return [0, 1, 2].map((i) => (a[i] as number) + ((b[i] as number) - (a[i] as number)) * amount) as Rgb;
}

/** The colour moved towards `toward` in 5% steps until it has `ratio` against `background`. */
function withContrast(color: Rgb, background: Rgb, toward: Rgb, ratio: number): Rgb {
  for (let step = 0; step <= 20; step++) {
    const candidate = mix(color, toward, step / 20);
    if (contrast(candidate, background) >= ratio) return candidate;
  }
  return toward;
}

function onColor(background: Rgb): Rgb {
  return contrast(white, background) >= contrast(darkText, background) ? white : darkText;
}

/** The stylesheet for a #rrggbb colour; empty for none (or a value that is not #rrggbb). */
export function brandCss(primaryColor: string | null | undefined): string {
  const color = primaryColor ? parseHexColor(primaryColor) : undefined;
  if (!color) return '/* no brand colour */\n';
  const darkPrimary = withContrast(color, darkCard, white, 3);
  return `:root {
  --primary: ${hex(color)};
  --primary-hover: ${hex(mix(color, black, 0.15))};
  --on-primary: ${hex(onColor(color))};
  --focus: ${hex(withContrast(color, lightCard, black, 3))};
  --link: ${hex(withContrast(color, lightCard, black, 4.5))};
}

@media (prefers-color-scheme: dark) {
  :root {
    --primary: ${hex(darkPrimary)};
    --primary-hover: ${hex(mix(darkPrimary, white, 0.15))};
    --on-primary: ${hex(onColor(darkPrimary))};
    --focus: ${hex(darkPrimary)};
    --link: ${hex(withContrast(color, darkCard, white, 4.5))};
  }
}
`;
}

/** A strong ETag of the stylesheet (also its version in the pages' link, so a change shows at once). */
export function brandCssTag(css: string): string {
  return createHash('sha256').update(css, 'utf8').digest('base64url').slice(0, 22);
}
