// The portal shell: sign-in, navigation, the error banner and notices, hash routing to the pages.

import { Component, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { AdminApi } from './api.ts';
import { PortalContext, type Portal, type Session } from './context.ts';
import { s3Endpoint } from './endpoint.ts';
import { describeError, PortalError } from './errors.ts';
import { AuditPage } from './pages/audit.tsx';
import { BucketsPage } from './pages/buckets.tsx';
import { KeysPage } from './pages/keys.tsx';
import { LocationsPage } from './pages/locations.tsx';
import { ObjectsPage } from './pages/objects.tsx';
import { PoliciesPage } from './pages/policies.tsx';
import { SignIn } from './pages/signin.tsx';
import { SystemPage } from './pages/system.tsx';
import { parseHash, routeHref, type PageName, type Route } from './router.ts';
import { S3Client } from './s3.ts';
import { clearCredentials, loadCredentials, saveCredentials } from './session.ts';
import type { Credentials } from './sigv4.ts';

/** Opens a session: who the key is (this also checks the key), and where the S3 endpoint is. */
async function openSession(credentials: Credentials): Promise<Session> {
  const admin = new AdminApi(credentials, window.location.origin);
  const whoami = await admin.whoami();
  let system: Session['system'];
  try {
    system = await admin.system();
  } catch {
    system = undefined;
  }
  const s3 = new S3Client(credentials, s3Endpoint(system?.s3_url, window.location));
  return { credentials, admin, s3, whoami, system };
}

const NAV: readonly { readonly page: PageName; readonly label: string; readonly adminOnly: boolean }[] = [
  { page: 'buckets', label: 'Buckets', adminOnly: false },
  { page: 'policies', label: 'Storage policies', adminOnly: false },
  { page: 'locations', label: 'Locations', adminOnly: false },
  { page: 'keys', label: 'API keys', adminOnly: true },
  { page: 'audit', label: 'Audit', adminOnly: true },
  { page: 'system', label: 'System', adminOnly: false },
];

function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = (): void => {
      setRoute(parseHash(window.location.hash));
    };
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
    };
  }, []);
  return route;
}

/** Catches a rendering failure of a page, so the screen is never blank. */
class PageBoundary extends Component<{ readonly report: (error: unknown) => void; readonly children: ComponentChildren }, { failed: string | undefined }> {
  override state = { failed: undefined as string | undefined };

  override componentDidCatch(error: unknown): void {
    this.setState({ failed: describeError(error) });
    this.props.report(error);
  }

  override render() {
    if (this.state.failed !== undefined) {
      return (
        <div class="load-failed">
          <p>This page failed to show: {this.state.failed}</p>
          <button
            type="button"
            onClick={() => {
              this.setState({ failed: undefined });
            }}
          >
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}

function Page({ route, session }: { readonly route: Route; readonly session: Session }) {
  const admin = session.whoami.admin;
  switch (route.page) {
    case 'buckets':
      return <BucketsPage />;
    case 'objects':
      return <ObjectsPage bucket={route.bucket} prefix={route.prefix} />;
    case 'policies':
      return <PoliciesPage />;
    case 'locations':
      return <LocationsPage />;
    case 'keys':
      return admin ? <KeysPage /> : <AdminOnly what="API keys" />;
    case 'audit':
      return admin ? <AuditPage /> : <AdminOnly what="The audit log" />;
    case 'system':
      return <SystemPage />;
    default: {
      const unknown: never = route;
      throw new Error(`unknown route ${JSON.stringify(unknown)}`);
    }
  }
}

function AdminOnly({ what }: { readonly what: string }) {
  return (
    <div class="empty">
      <p>{what} can be seen by administrators only (keys of the root team).</p>
      <p>
        <a href="#/buckets">Back to your buckets</a>
      </p>
    </div>
  );
}

type Boot = { readonly kind: 'checking' } | { readonly kind: 'signed-out' } | { readonly kind: 'signed-in'; readonly session: Session };

export function App() {
  const route = useHashRoute();
  const [boot, setBoot] = useState<Boot>(() => (loadCredentials() === undefined ? { kind: 'signed-out' } : { kind: 'checking' }));
  const [error, setError] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const report = useCallback((e: unknown) => {
    setNotice(undefined);
    setError(describeError(e));
  }, []);
  const notify = useCallback((message: string) => {
    setNotice(message);
  }, []);

  // A key kept from earlier in this tab: check it still works.
  useEffect(() => {
    if (boot.kind !== 'checking') return;
    const credentials = loadCredentials();
    if (credentials === undefined) {
      setBoot({ kind: 'signed-out' });
      return;
    }
    openSession(credentials).then(
      (session) => {
        setBoot({ kind: 'signed-in', session });
      },
      (e: unknown) => {
        if (e instanceof PortalError && e.status === 401) clearCredentials();
        report(e);
        setBoot({ kind: 'signed-out' });
      },
    );
  }, [boot.kind, report]);

  // A new page starts without the previous page's messages.
  const routeKey = routeHref(route);
  useEffect(() => {
    setError(undefined);
    setNotice(undefined);
  }, [routeKey]);

  const signIn = useCallback(
    async (credentials: Credentials) => {
      try {
        const session = await openSession(credentials);
        saveCredentials(credentials);
        setError(undefined);
        setBoot({ kind: 'signed-in', session });
        if (window.location.hash === '' || window.location.hash === '#' || window.location.hash === '#/') window.location.hash = '#/buckets';
      } catch (e) {
        report(e instanceof PortalError && e.status === 401 ? new PortalError(e.source, e.status, e.code, `Sign-in failed: ${e.message}`) : e);
      }
    },
    [report],
  );

  const signOut = useCallback(() => {
    clearCredentials();
    setError(undefined);
    setNotice(undefined);
    setBoot({ kind: 'signed-out' });
  }, []);

  const portal = useMemo<Portal | undefined>(() => (boot.kind === 'signed-in' ? { session: boot.session, report, notify } : undefined), [boot, report, notify]);

  const banner = (
    <>
      {error === undefined ? null : (
        <div class="banner banner-error" role="alert">
          <span data-testid="error-banner">{error}</span>
          <button
            type="button"
            class="banner-close"
            aria-label="Dismiss the error"
            onClick={() => {
              setError(undefined);
            }}
          >
            ×
          </button>
        </div>
      )}
      {notice === undefined ? null : (
        <div class="banner banner-notice" role="status">
          <span data-testid="notice-banner">{notice}</span>
          <button
            type="button"
            class="banner-close"
            aria-label="Dismiss the notice"
            onClick={() => {
              setNotice(undefined);
            }}
          >
            ×
          </button>
        </div>
      )}
    </>
  );

  if (boot.kind === 'checking') {
    return (
      <main class="signin">
        <p role="status">Checking your key…</p>
      </main>
    );
  }
  if (boot.kind === 'signed-out' || portal === undefined) {
    return (
      <main class="signin">
        {banner}
        <SignIn onSignIn={signIn} />
      </main>
    );
  }

  const admin = boot.session.whoami.admin;
  const current: PageName = route.page === 'objects' ? 'buckets' : route.page;
  return (
    <PortalContext.Provider value={portal}>
      <header class="topbar">
        <a class="brand" href="#/buckets">
          Dispersa
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => admin || !n.adminOnly).map((n) => (
              <li key={n.page}>
                <a href={`#/${n.page}`} data-testid={`nav-${n.page}`} aria-current={current === n.page ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="whoami">
          <span title={`team ${boot.session.whoami.team_id}`}>
            {boot.session.whoami.access_key_id}
            {admin ? ' (admin)' : ''}
          </span>
          <button type="button" data-testid="signout" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main class="content">
        {banner}
        {admin ? null : (
          <p class="note">
            Signed in with a key of team <strong>{boot.session.whoami.team_id}</strong>, which is not an administrator: you see the buckets your key's scopes allow,
            and can read policies and locations. API keys, the audit log and cache settings are for administrators.
          </p>
        )}
        <PageBoundary key={routeKey} report={report}>
          <Page route={route} session={boot.session} />
        </PageBoundary>
      </main>
    </PortalContext.Provider>
  );
}
