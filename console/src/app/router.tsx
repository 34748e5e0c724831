// A few routes, on the History API: /, /agents, /agents/:id, /activity, /tokens.
import { type AnchorHTMLAttributes, useEffect, useSyncExternalStore } from "react";

const listeners = new Set<() => void>();
const subscribe = (listener: () => void) => {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
};

export function navigate(to: string): void {
  if (to === window.location.pathname) return;
  window.history.pushState(null, "", to);
  for (const listener of listeners) listener();
}

export const usePath = () => useSyncExternalStore(subscribe, () => window.location.pathname);

export function Link({ to, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  return (
    <a
      {...props}
      href={to}
      onClick={(event) => {
        props.onClick?.(event);
        if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(to);
      }}
    />
  );
}

/** Sets the page's title. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Agent Vault`;
  }, [title]);
}
