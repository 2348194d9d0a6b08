import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** Where the app is mounted: every route is under it, and the server sends the app for any path below it. */
export const APP_BASE = '/app';

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

/** The current path below {@link APP_BASE}, starting with `/` (e.g. `/patients/123`). */
export function currentRoute(): string {
  const path = window.location.pathname.startsWith(APP_BASE) ? window.location.pathname.slice(APP_BASE.length) : '/';
  return path === '' ? '/' : path;
}

/** Goes to a route of the app without reloading the page (`replace` keeps the history entry). */
export function navigate(route: string, options: { replace?: boolean } = {}): void {
  const url = `${APP_BASE}${route}`;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((listener) => listener());
}

/** The current route, re-rendering on navigation. */
export function useRoute(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    currentRoute,
  );
}

/** Sends the app to `route` once, on mount (for a default page per role). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

/** An in-app link: a real `<a href>` (keyboard, middle-click and screen readers work) handled without reload. */
export function Link({ to, ...rest }: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={`${APP_BASE}${to}`} onClick={onClick} {...rest} />;
}
