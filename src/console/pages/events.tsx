/** The audit trail, newest first, filtered by type, person, application and time. */
import { useEffect, useState } from 'preact/hooks';
import { issuerUrl } from '../auth.js';
import { enc, type Page } from '../api.js';
import { href } from '../router.js';
import { useConsole } from '../context.js';
import { ErrorBox, Field, formatTime, Loading, PageHeader, useLoad } from '../ui.js';

interface EventJson {
  id: string;
  type: string;
  at: number;
  actor?: { sub: string | null; client_id: string | null };
  sub?: string | null;
  client_id?: string | null;
  address?: string | null;
  data?: Record<string, unknown>;
}

interface Filter {
  type: string;
  user: string;
  client: string;
  since: string;
  until: string;
}

/** The event types the API accepts, from its OpenAPI document (the one list, in observability/events.ts). */
function useEventTypes(): string[] {
  const [types, setTypes] = useState<string[]>([]);
  useEffect(() => {
    fetch(`${issuerUrl()}/admin/api/openapi.json`, { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : undefined))
      .then((doc: { paths?: Record<string, { get?: { parameters?: Array<{ name: string; schema?: { enum?: string[] } }> } }> } | undefined) => {
        const events = Object.entries(doc?.paths ?? {}).find(([path]) => path.endsWith('/events'))?.[1];
        setTypes(events?.get?.parameters?.find((p) => p.name === 'type')?.schema?.enum ?? []);
      })
      .catch(() => undefined);
  }, []);
  return types;
}

const toSeconds = (local: string) => (local ? String(Math.floor(new Date(local).getTime() / 1000)) : undefined);

export function EventsPage() {
  const { api } = useConsole();
  const empty: Filter = { type: '', user: '', client: '', since: '', until: '' };
  const [draft, setDraft] = useState(empty);
  const [filter, setFilter] = useState(empty);
  const [pages, setPages] = useState<EventJson[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const { data, error } = useLoad(async () => {
    const page = await api.get<Page<EventJson>>('/events', {
      type: filter.type || undefined,
      user: filter.user || undefined,
      client: filter.client || undefined,
      since: toSeconds(filter.since),
      until: toSeconds(filter.until),
      cursor,
      limit: 50,
    });
    const items = cursor ? [...pages, ...page.items] : page.items;
    setPages(items);
    return { items, next: page.next_cursor };
  }, [filter, cursor]);
  const set = (key: keyof Filter) => (value: string) => setDraft({ ...draft, [key]: value });
  const types = useEventTypes();
  return (
    <>
      <PageHeader title="Events" />
      <form
        class="filters"
        role="search"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          setCursor(undefined);
          setFilter({ ...draft });
        }}
      >
        <div class="field">
          <label for="event-type">
            Type<span class="optional"> (optional)</span>
          </label>
          <select id="event-type" name="type" value={draft.type} onChange={(e) => set('type')((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Any type</option>
            {(types.includes(draft.type) || !draft.type ? types : [draft.type, ...types]).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <Field label="Person (sub)" name="user" value={draft.user} onInput={set('user')} />
        <Field label="Application (client ID)" name="client" value={draft.client} onInput={set('client')} />
        <Field label="From" name="since" type="datetime-local" value={draft.since} onInput={set('since')} />
        <Field label="Until" name="until" type="datetime-local" value={draft.until} onInput={set('until')} />
        <div class="filters-actions">
          <button type="submit" class="button button-primary">
            Filter
          </button>
        </div>
      </form>
      {error ? <ErrorBox error={error} /> : !data ? <Loading what="events" /> : (
        <>
          <div class="table-wrap">
          <table class="events">
            <caption class="visually-hidden">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">By</th>
                <th scope="col">Person</th>
                <th scope="col">Application</th>
                <th scope="col">Address</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {data.items.length === 0 ? (
                <tr>
                  <td colSpan={7}>No events match.</td>
                </tr>
              ) : (
                data.items.map((ev) => (
                  <tr key={ev.id}>
                    <td>{formatTime(ev.at)}</td>
                    <td class="nowrap">
                      <code>{ev.type}</code>
                    </td>
                    <td>{ev.actor?.sub ? <a href={href(`people/${enc(ev.actor.sub)}`)}>{ev.actor.sub}</a> : ev.actor?.client_id ? <a href={href(`apps/${enc(ev.actor.client_id)}`)}>{ev.actor.client_id}</a> : '—'}</td>
                    <td>{ev.sub ? <a href={href(`people/${enc(ev.sub)}`)}>{ev.sub}</a> : '—'}</td>
                    <td>{ev.client_id ? <a href={href(`apps/${enc(ev.client_id)}`)}>{ev.client_id}</a> : '—'}</td>
                    <td>{ev.address ?? '—'}</td>
                    <td class="details">
                      {Object.entries(ev.data ?? {})
                        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`)
                        .join('; ')}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          </div>
          {data.next ? (
            <button type="button" class="button button-secondary" onClick={() => setCursor(data.next ?? undefined)}>
              Older events
            </button>
          ) : null}
        </>
      )}
    </>
  );
}
