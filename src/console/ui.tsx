/** Shared pieces: labelled fields, loading and error states, a confirmation dialog, a copy button. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { hasNavigated } from './router.js';

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: Error | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    load().then(
      (value) => live && setData(value),
      (err: unknown) => live && setError(err instanceof Error ? err : new Error(String(err))),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: useCallback(() => setTick((t) => t + 1), []) };
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error }: { error: Error }) {
  return (
    <div class="alert" role="alert">
      {error.message}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  // After a navigation, focus goes to the new page's heading, so a screen reader announces where we are; on the
  // first page the focus stays at the start, where Tab reaches the skip link.
  useEffect(() => {
    if (hasNavigated()) ref.current?.focus();
  }, [title]);
  return (
    <div class="page-header">
      <h1 tabIndex={-1} ref={ref}>
        {title}
      </h1>
      {children ? <div class="actions">{children}</div> : null}
    </div>
  );
}

interface FieldProps {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  required?: boolean;
  hint?: string;
  /** The field the server named as wrong. */
  error?: string | undefined;
  multiline?: boolean;
  autocomplete?: string;
  placeholder?: string;
  minLength?: number;
}

export function Field({ label, name, value, onInput, type = 'text', required, hint, error, multiline, autocomplete, placeholder, minLength }: FieldProps) {
  const id = `f-${name}-${useId()}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const described = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name,
    value,
    required,
    placeholder,
    'aria-describedby': described,
    'aria-invalid': error ? ('true' as const) : undefined,
    onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
  };
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>
        {label}
        {required ? null : <span class="optional"> (optional)</span>}
      </label>
      {hint ? (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {multiline ? <textarea rows={3} spellcheck={false} {...common} /> : <input type={type as 'text'} autocomplete={autocomplete} minLength={minLength} {...common} />}
      {error ? (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Checkbox({ label, name, checked, onChange }: { label: string; name: string; checked: boolean; onChange: (checked: boolean) => void }) {
  const id = `c-${name}-${useId()}`;
  return (
    <div class="field field-check">
      <input id={id} type="checkbox" name={name} checked={checked} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}

/** One value per line (redirect URIs, scopes). */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** Which field a failed save names, and the message for it (the form shows it beside the field). */
export function fieldErrors(error: unknown): { field?: string; message: string } {
  if (error instanceof ApiError) return error.field ? { field: error.field, message: error.message } : { message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

export function FormError({ error }: { error: { field?: string; message: string } | undefined }) {
  if (!error) return null;
  return (
    <div class="alert" role="alert">
      {error.field ? `${error.field}: ` : ''}
      {error.message}
    </div>
  );
}

/** A button that asks first, in a modal dialog (focus moves into it; Escape cancels). */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  danger = true,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  danger?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const titleId = `d-${useId()}`;
  return (
    <>
      <button type="button" class={`button ${danger ? 'button-danger' : 'button-secondary'}`} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId} class="dialog">
        <p id={titleId} class="dialog-question">
          {question}
        </p>
        <div class="actions">
          <button type="button" class="button button-secondary" autofocus onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            class={`button ${danger ? 'button-danger' : 'button-primary'}`}
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await onConfirm();
              } finally {
                setBusy(false);
                dialog.current?.close();
              }
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A secret shown once, with a button that copies it. */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const id = `s-${useId()}`;
  return (
    <div class="secret" role="region" aria-labelledby={`${id}-label`}>
      <p id={`${id}-label`}>
        <strong>{label}</strong> — shown only now. Copy it into your application's configuration.
      </p>
      <div class="secret-row">
        <input id={id} class="code" readOnly value={value} aria-labelledby={`${id}-label`} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <button
          type="button"
          class="button button-secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
            } catch {
              (document.getElementById(id) as HTMLInputElement | null)?.select();
            }
          }}
        >
          Copy
        </button>
      </div>
      <p class="muted" aria-live="polite">
        {copied ? 'Copied to the clipboard.' : ''}
      </p>
    </div>
  );
}

export function formatTime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function Search({ value, onSearch, label }: { value: string; onSearch: (q: string) => void; label: string }) {
  const [text, setText] = useState(value);
  const id = `q-${useId()}`;
  return (
    <form
      role="search"
      class="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(text.trim());
      }}
    >
      <label for={id}>{label}</label>
      <input id={id} type="search" name="q" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
      <button type="submit" class="button button-secondary">
        Search
      </button>
    </form>
  );
}
