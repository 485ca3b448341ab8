import { InvalidCursorError, type Page, type PageQuery } from '../storage/types.js';

/**
 * A page of a short list held in memory (APIs, keys, a person's sessions): the cursor is the id of the last item
 * given. A cursor that names no item is refused (InvalidCursorError), as the repositories' own pages do.
 */
export function pageInMemory<T>(all: readonly T[], query: PageQuery, idOf: (item: T) => string): Page<T> {
  let start = 0;
  if (query.cursor !== undefined) {
    const at = all.findIndex((item) => idOf(item) === query.cursor);
    if (at < 0) throw new InvalidCursorError();
    start = at + 1;
  }
  const items = all.slice(start, start + query.limit);
  const last = items.at(-1);
  return { items, nextCursor: last !== undefined && start + items.length < all.length ? idOf(last) : null };
}
