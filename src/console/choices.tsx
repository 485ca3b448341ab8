/** Labelled choices: a select and a group of checkboxes, each with a hint and the error the server named. */
import { useId } from 'preact/hooks';

interface Option {
  value: string;
  label: string;
}

export function Select({
  label,
  name,
  value,
  options,
  onChange,
  hint,
  error,
}: {
  label: string;
  name: string;
  value: string;
  options: readonly Option[];
  onChange: (value: string) => void;
  hint?: string;
  error?: string | undefined;
}) {
  const id = `s-${name}-${useId()}`;
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <select
        id={id}
        name={name}
        value={value}
        aria-describedby={described}
        aria-invalid={error ? 'true' : undefined}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Several values out of a list (response types, introspection clients): a fieldset whose legend names them. */
export function CheckboxGroup({
  legend,
  name,
  value,
  options,
  onChange,
  hint,
  error,
  empty,
}: {
  legend: string;
  name: string;
  value: readonly string[];
  options: readonly Option[];
  onChange: (value: string[]) => void;
  hint?: string;
  error?: string | undefined;
  /** Shown instead of the boxes when there is nothing to choose. */
  empty?: string;
}) {
  const id = `g-${name}-${useId()}`;
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <fieldset class={error ? 'field-invalid' : undefined} aria-describedby={described} aria-invalid={error ? 'true' : undefined} data-name={name}>
      <legend>{legend}</legend>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {options.length === 0 && empty ? <p class="muted">{empty}</p> : null}
      {options.map((o, i) => {
        const box = `${id}-${i}`;
        return (
          <div class="field field-check" key={o.value}>
            <input
              id={box}
              type="checkbox"
              name={name}
              value={o.value}
              checked={value.includes(o.value)}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                onChange(on ? [...value.filter((v) => v !== o.value), o.value] : value.filter((v) => v !== o.value));
              }}
            />
            <label for={box}>{o.label}</label>
          </div>
        );
      })}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
