import { html, type HtmlSafe, safeUrl } from '../html.js';
import { page, type PageChrome } from '../layout.js';
import { type MessageKey, type PageMessage, translator } from '../messages/index.js';
import { hiddenInput } from './parts.js';

/** A short page of the accounts that look after themselves: what happened, in words, and where to go next. */
export interface NoticePageOptions extends PageChrome {
  title: MessageKey;
  heading: MessageKey;
  /** Paragraphs, the first shown as the lead. */
  paragraphs: Array<string | PageMessage>;
  /** `alert`: the first paragraph is an error (role=alert). */
  tone?: 'info' | 'alert';
  link?: { href: string; label: MessageKey };
  /** A one-button form (e.g. "Send the link again"), with its hidden fields. */
  form?: { action: string; csrf: string; fields: Readonly<Record<string, string>>; label: MessageKey };
}

export function noticePage({ title, heading, paragraphs, tone = 'info', link, form, ...chrome }: NoticePageOptions): string {
  const t = translator(chrome.locale);
  const [first, ...rest] = paragraphs;
  const lead: HtmlSafe | '' =
    first === undefined ? '' : tone === 'alert' ? html`<div class="alert" role="alert">${t.show(first)}</div>` : html`<p class="lead notice-lead">${t.show(first)}</p>`;
  const body = html`<h1>${t.text(heading)}</h1>
${lead}
${rest.map((p) => html`<p>${t.show(p)}</p>\n`)}${
    form
      ? html`<form method="post" action="${safeUrl(form.action)}">
${hiddenInput('csrf', form.csrf)}
${Object.entries(form.fields).map(([name, value]) => hiddenInput(name, value))}
<button type="submit" class="button button-secondary">${t.text(form.label)}</button>
</form>
`
      : ''
  }${link ? html`<p><a class="button button-primary notice-link" href="${safeUrl(link.href)}">${t.text(link.label)}</a></p>` : ''}`;
  return page({ title: t.text(title), body, ...chrome });
}
