/** One list page's body: a search box, a table of one page of a list of the admin API, and "Next page". */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Page } from './api.js';
import { useConsole } from './context.js';
import { ErrorBox, Loading, Search, useLoad } from './ui.js';

export interface SearchableListProps<T> {
  /** The admin API list, e.g. `/clients`. */
  path: string;
  search: URLSearchParams;
  searchLabel: string;
  /** For "Loading …" and the table's caption, e.g. "applications" / "Applications". */
  what: string;
  caption: string;
  columns: string[];
  /** The one row's text when the page is empty, given the search text. */
  empty: (q: string) => string;
  rowKey: (item: T) => string;
  /** The cells of an item's row. */
  cells: (item: T) => ComponentChildren;
}

export function SearchableList<T>({ path, search, searchLabel, what, caption, columns, empty, rowKey, cells }: SearchableListProps<T>) {
  const { api } = useConsole();
  const [q, setQ] = useState(search.get('q') ?? '');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const { data, error } = useLoad(() => api.get<Page<T>>(path, { q, cursor, limit: 50 }), [q, cursor]);
  return (
    <>
      <Search label={searchLabel} value={q} onSearch={(v) => (setCursor(undefined), setQ(v))} />
      {error ? <ErrorBox error={error} /> : !data ? <Loading what={what} /> : (
        <>
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">{caption}</caption>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th scope="col" key={c}>{c}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.items.length === 0 ? (
                  <tr>
                    <td colSpan={columns.length}>{empty(q)}</td>
                  </tr>
                ) : (
                  data.items.map((item) => <tr key={rowKey(item)}>{cells(item)}</tr>)
                )}
              </tbody>
            </table>
          </div>
          {data.next_cursor ? (
            <button type="button" class="button button-secondary" onClick={() => setCursor(data.next_cursor ?? undefined)}>
              Next page
            </button>
          ) : null}
        </>
      )}
    </>
  );
}
