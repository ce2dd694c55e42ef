// A history-API router: deep links (/requests/:id …) survive a reload because the server answers
// every application path with index.html.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
let navigations = 0;

/** Goes to `to` inside the application (no reload). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  navigations++;
  for (const l of listeners) l();
}

addEventListener('popstate', () => {
  navigations++;
  for (const l of listeners) l();
});

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; query: URLSearchParams; navigations: number } {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return { path: location.pathname.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search), navigations };
}

/** An in-application link: a real <a href> (open in a new tab works), navigated without reload. */
export function Link(props: { href: string; children: ComponentChildren; class?: string; id?: string; 'aria-current'?: 'page' }): JSX.Element {
  const { href, children, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

/** Matches `pattern` (`/requests/:id`) against `path`; the parameters, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}
