/** Branding of the sign-in pages: product name, logo, primary colour, footer links. */
import { useEffect, useState } from 'preact/hooks';
import { useConsole } from '../context.js';
import { ErrorBox, Field, fieldErrors, FormError, Loading, PageHeader, useLoad } from '../ui.js';

interface BrandingJson {
  product_name: string | null;
  logo_uri: string | null;
  primary_color: string | null;
  links: { privacy: string | null; terms: string | null; support: string | null };
}

type Form = { product_name: string; logo_uri: string; primary_color: string; privacy: string; terms: string; support: string };

function toForm(b: BrandingJson): Form {
  return {
    product_name: b.product_name ?? '',
    logo_uri: b.logo_uri ?? '',
    primary_color: b.primary_color ?? '',
    privacy: b.links?.privacy ?? '',
    terms: b.links?.terms ?? '',
    support: b.links?.support ?? '',
  };
}

const orNull = (v: string) => (v.trim() === '' ? null : v.trim());

export function BrandingPage() {
  const { api, notify } = useConsole();
  const { data, error, reload } = useLoad(() => api.get<BrandingJson>('/settings/branding'), []);
  const [form, setForm] = useState<Form | undefined>(undefined);
  const [saveError, setSaveError] = useState<{ field?: string; message: string } | undefined>(undefined);
  useEffect(() => setForm(data ? toForm(data) : undefined), [data]);
  if (error) return <><PageHeader title="Branding" /><ErrorBox error={error} /></>;
  if (!form) return <Loading what="branding" />;
  const set = (key: keyof Form) => (value: string) => setForm({ ...form, [key]: value });
  const err = (field: string) => (saveError?.field && saveError.field.replace(/^links\./, '') === field ? saveError.message : undefined);
  return (
    <>
      <PageHeader title="Branding" />
      <p>What people see on the sign-in, consent, device, sign-out and error pages. Changes show at once, on every instance.</p>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setSaveError(undefined);
          try {
            await api.send('PUT', '/settings/branding', {
              product_name: orNull(form.product_name),
              logo_uri: orNull(form.logo_uri),
              primary_color: orNull(form.primary_color),
              links: { privacy: orNull(form.privacy), terms: orNull(form.terms), support: orNull(form.support) },
            });
            notify({ kind: 'success', text: 'Branding saved.' });
            reload();
          } catch (err) {
            setSaveError(fieldErrors(err));
          }
        }}
      >
        <FormError error={saveError} />
        <Field label="Product name" name="product_name" value={form.product_name} onInput={set('product_name')} error={err('product_name')} />
        <Field label="Logo URL" name="logo_uri" type="url" value={form.logo_uri} onInput={set('logo_uri')} hint="https. Latch serves a fetched, size-limited copy; a logo on a private or local address needs LATCH_FETCH_ALLOW_PRIVATE=true." error={err('logo_uri')} />
        <div class="field-row">
          <Field label="Primary colour" name="primary_color" value={form.primary_color} onInput={set('primary_color')} hint="#rrggbb" placeholder="#1f5bd8" error={err('primary_color')} />
          <span class="swatch" aria-hidden="true" data-color={form.primary_color} ref={(el) => {
            if (el) el.style.setProperty('--swatch', /^#[0-9a-fA-F]{6}$/.test(form.primary_color) ? form.primary_color : 'transparent');
          }} />
        </div>
        <fieldset>
          <legend>Footer links</legend>
          <Field label="Privacy policy" name="privacy" type="url" value={form.privacy} onInput={set('privacy')} error={err('privacy')} />
          <Field label="Terms of service" name="terms" type="url" value={form.terms} onInput={set('terms')} error={err('terms')} />
          <Field label="Support" name="support" type="url" value={form.support} onInput={set('support')} error={err('support')} />
        </fieldset>
        <button type="submit" class="button button-primary">
          Save branding
        </button>
      </form>
    </>
  );
}
