// Code the first page does not need: loaded by React.lazy when first rendered, and ahead of that
// once the page is idle, so that the first dialog, menu or palette opens without waiting.
import { type ComponentType, type LazyExoticComponent, lazy } from "react";

const loaders: (() => Promise<unknown>)[] = [];

// biome-ignore lint/suspicious/noExplicitAny: React.lazy's own constraint
export function later<T extends ComponentType<any>>(load: () => Promise<T>): LazyExoticComponent<T> {
  let loading: Promise<{ default: T }> | undefined;
  const get = () => {
    loading ??= load().then((component) => ({ default: component }));
    return loading;
  };
  loaders.push(get);
  return lazy(get);
}

/** Loads every later module once the browser is idle. */
export function loadLaterWhenIdle(): void {
  const run = () => {
    for (const load of loaders) void load().catch(() => {});
  };
  if (window.requestIdleCallback) window.requestIdleCallback(run, { timeout: 2000 });
  else setTimeout(run, 200);
}
