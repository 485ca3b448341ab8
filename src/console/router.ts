/** A small history router: paths under /console, links that push state, and a hook that follows them. */
import { useEffect, useState } from 'preact/hooks';
import { consoleBase } from './auth.js';

/** Whether the person has moved within the app (after which each new page's heading takes the focus). */
const moves = { count: 0, carry: false };
addEventListener('popstate', () => moves.count++);

export function hasNavigated(): boolean {
  return moves.count > 0;
}

export function appPath(): string {
  const path = location.pathname.slice(consoleBase().length).replace(/^\/+|\/+$/g, '');
  return path;
}

export function href(path: string): string {
  return `${consoleBase()}/${path}`;
}

/** The app's own moves (after a change: "deleted", "added") keep the message just given; the person's clear it. */
export function takeCarry(): boolean {
  const carry = moves.carry;
  moves.carry = false;
  return carry;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = href(path);
  moves.carry = true;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current path (without /console/ and slashes) and search, re-rendered on every navigation. */
export function useRoute(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: appPath(), search: new URLSearchParams(location.search) });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onPop = () => setRoute(read());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** Left clicks on in-app links navigate without a page load; anything else (new tab, ...) is the browser's. */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = (event.target as Element | null)?.closest?.('a');
  if (!link || link.target || link.origin !== location.origin || !link.pathname.startsWith(`${consoleBase()}/`)) return;
  if (link.hasAttribute('data-external')) return;
  event.preventDefault();
  history.pushState(null, '', link.pathname + link.search);
  dispatchEvent(new PopStateEvent('popstate'));
}
