// Loads a module on first use (the world map and the charts stay out of the initial JavaScript).

import { useEffect, useState } from 'preact/hooks';

export type LazyState<T> = { readonly kind: 'loading' } | { readonly kind: 'ready'; readonly module: T } | { readonly kind: 'failed'; readonly error: string };

export function useLazyModule<T>(load: () => Promise<T>): LazyState<T> {
  const [state, setState] = useState<LazyState<T>>({ kind: 'loading' });
  useEffect(() => {
    let live = true;
    load().then(
      (module) => {
        if (live) setState({ kind: 'ready', module });
      },
      (error: unknown) => {
        if (live) setState({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      live = false;
    };
    // Loaded once per mount.
  }, []);
  return state;
}
