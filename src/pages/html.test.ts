import { describe, expect, it } from 'vitest';
import { escapeHtml, html, HtmlSafe, raw, safeUrl } from './html.js';

describe('html``', () => {
  it('escapes & < > " \' and backtick in interpolated values', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(html`<p>${'<script>alert(1)</script>'}</p>`.toString()).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    );
  });

  it('keeps attribute values inside their quotes', () => {
    const hostile = `" onmouseover="alert(1)" x='`;
    const out = html`<input value="${hostile}">`.toString();
    expect(out).toBe('<input value="&quot; onmouseover=&quot;alert(1)&quot; x=&#39;">');
    expect(out.match(/"/g)).toHaveLength(2);
  });

  it('does not escape html`` values and joins arrays', () => {
    const items = ['a<', 'b&'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>`.toString()).toBe('<ul><li>a&lt;</li><li>b&amp;</li></ul>');
    expect(html`${[html`<b>`, '<i>', [html`</b>`]]}`.toString()).toBe('<b>&lt;i&gt;</b>');
  });

  it('renders null, undefined and false as nothing, numbers as text', () => {
    expect(html`[${null}${undefined}${false}${0}${'x'}]`.toString()).toBe('[0x]');
  });

  it('treats raw() as trusted markup and only that', () => {
    expect(html`${raw('<br>')}`.toString()).toBe('<br>');
    expect(html`${{ toString: () => '<br>' } as unknown as string}`.toString()).toBe('&lt;br&gt;');
  });

  it('cannot be forged with new HtmlSafe()', () => {
    const Forge = HtmlSafe as unknown as new (key: unknown, markup: string) => HtmlSafe;
    expect(() => new Forge(Symbol('HtmlSafe'), '<script>')).toThrow(TypeError);
  });
});

describe('safeUrl', () => {
  it('accepts same-origin paths and http(s) URLs unchanged', () => {
    for (const url of ['/login', '/interaction/abc?x=1&y=2', 'https://client.example/cb?a=b', 'http://127.0.0.1:8080/cb']) {
      expect(safeUrl(url)).toBe(url);
    }
  });

  it('rejects javascript:, data:, protocol-relative and backslash tricks', () => {
    for (const url of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      '//evil.example/',
      '/\\evil.example/',
      '/\t/evil.example/',
      'relative/path',
      '',
    ]) {
      expect(() => safeUrl(url), url).toThrow(TypeError);
    }
  });

  it('leaves javascript: in text inert (escaped, not a link)', () => {
    const out = html`<p>${'<a href="javascript:alert(1)">x</a>'}</p>`.toString();
    expect(out).not.toContain('<a');
    expect(out).toContain('&lt;a href=&quot;javascript:alert(1)&quot;&gt;');
  });
});
