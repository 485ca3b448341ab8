import { describe, expect, it } from 'vitest';
import { brandCss, brandCssTag, contrast, parseHexColor } from './brand-css.js';

function variable(css: string, name: string, dark = false): string {
  const part = dark ? css.slice(css.indexOf('@media')) : css.slice(0, css.indexOf('@media'));
  const m = new RegExp(`--${name}: (#[0-9a-f]{6});`).exec(part);
  if (!m) throw new Error(`no --${name}`);
  return m[1] as string;
}

describe('brandCss', () => {
  it('sets the primary colour and readable colours on it, in light and dark mode', () => {
    const css = brandCss('#aa3300');
    expect(variable(css, 'primary')).toBe('#aa3300');
    expect(contrast(parseHexColor(variable(css, 'on-primary'))!, parseHexColor('#aa3300')!)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(parseHexColor(variable(css, 'link'))!, [255, 255, 255])).toBeGreaterThanOrEqual(4.5);
    expect(contrast(parseHexColor(variable(css, 'link', true))!, [22, 27, 34])).toBeGreaterThanOrEqual(4.5);
    expect(css).not.toMatch(/[<>{]\s*[<>]/);
  });

  it('keeps a light colour readable as link text', () => {
    const css = brandCss('#ffdd00');
    expect(variable(css, 'primary')).toBe('#ffdd00');
    expect(variable(css, 'on-primary')).toBe('#0d1117');
    expect(contrast(parseHexColor(variable(css, 'link'))!, [255, 255, 255])).toBeGreaterThanOrEqual(4.5);
  });

  it('is empty without a valid colour, and tagged by content', () => {
    expect(brandCss(null)).not.toContain('--primary');
    expect(brandCss('red; } body { display: none')).not.toContain('--primary');
    expect(brandCssTag(brandCss('#000000'))).not.toBe(brandCssTag(brandCss('#000001')));
    expect(brandCssTag('x')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
