// What every page gets from the shell: the signed-in session, the error banner and notices, and a loader hook.

import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { AdminApi } from './api.ts';
import { describeError } from './errors.ts';
import type { S3Client } from './s3.ts';
import type { Credentials } from './sigv4.ts';
import type { SystemInfo, Whoami } from './types.ts';

export interface Session {
  readonly credentials: Credentials;
  readonly admin: AdminApi;
  readonly s3: S3Client;
  readonly whoami: Whoami;
  readonly system: SystemInfo | undefined;
}

export interface Portal {
  readonly session: Session;
  /** Shows an error in the banner (its message; PortalErrors carry the server's words). */
  readonly report: (error: unknown) => void;
  /** Shows a short confirmation of something done. */
  readonly notify: (message: string) => void;
}

export const PortalContext = createContext<Portal | undefined>(undefined);

export function usePortal(): Portal {
  const portal = useContext(PortalContext);
  if (portal === undefined) throw new Error('usePortal outside the signed-in shell');
  return portal;
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly loading: boolean;
  /** The last load's error message, shown in place of the data. */
  readonly error: string | undefined;
  readonly reload: () => void;
}

/** Loads data when `deps` change; errors go to the banner too. Stale answers (after deps changed) are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const { report } = usePortal();
  const [state, setState] = useState<{ data: T | undefined; loading: boolean; error: string | undefined }>({ data: undefined, loading: true, error: undefined });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => {
        if (mine === generation.current) setState({ data, loading: false, error: undefined });
      },
      (error: unknown) => {
        if (mine !== generation.current) return;
        setState((s) => ({ data: s.data, loading: false, error: describeError(error) }));
        report(error);
      },
    );
    // The caller names the dependencies, as with useEffect.
  }, [...deps, tick]);
  const reload = useCallback(() => {
    setTick((t) => t + 1);
  }, []);
  return { ...state, reload };
}

/** Runs an action, reporting a failure to the banner; resolves to whether it succeeded. */
export function useAction(): (action: () => Promise<unknown>) => Promise<boolean> {
  const { report } = usePortal();
  return useCallback(
    async (action: () => Promise<unknown>) => {
      try {
        await action();
        return true;
      } catch (error) {
        report(error);
        return false;
      }
    },
    [report],
  );
}
