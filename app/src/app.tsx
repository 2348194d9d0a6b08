import { useEffect, useRef } from 'react';
import { useConnectionState, useSession, useSignedInUser } from './api/session-context.js';
import { Link, Redirect, useRoute } from './router.js';
import { matchRoute } from './routes.js';
import { CLINICIAN_ROLES, homeRoute } from './views/home.js';
import { SignIn } from './views/sign-in.js';

const CONNECTION_LABELS = { connecting: 'Connecting…', connected: 'Live', reconnecting: 'Reconnecting…', closed: 'Offline' } as const;

/** The app: sign-in until a session exists, then the page the route names inside the shell. */
export function App() {
  const user = useSignedInUser();
  const route = useRoute();
  if (!user) return <SignIn />;
  if (route === '/' || route === '/sign-in') return <Redirect to={homeRoute(user.role)} />;
  return <Shell route={route} />;
}

function Shell({ route }: { route: string }) {
  const session = useSession();
  const user = useSignedInUser();
  const connection = useConnectionState();
  const match = matchRoute(route);
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    document.title = match ? `${match.route.title} · Cradle` : 'Not found · Cradle';
    mainRef.current?.focus();
  }, [route, match?.route.title]);

  if (!user) return null;
  const clinician = CLINICIAN_ROLES.includes(user.role);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">Cradle</span>
        <nav aria-label="Main">
          <ul>
            {clinician && (
              <li>
                <Link to="/dashboard" aria-current={route.startsWith('/dashboard') || route.startsWith('/patients') ? 'page' : undefined}>
                  Dashboard
                </Link>
              </li>
            )}
            {user.role === 'PATIENT' && (
              <li>
                <Link to="/check-in" aria-current={route.startsWith('/check-in') ? 'page' : undefined}>
                  Check in
                </Link>
              </li>
            )}
            {user.role === 'CARE_COORDINATOR' && (
              <li>
                <Link to="/protocols" aria-current={route.startsWith('/protocols') ? 'page' : undefined}>
                  Protocols
                </Link>
              </li>
            )}
            <li>
              <Link to="/account" aria-current={route === '/account' ? 'page' : undefined}>
                Account
              </Link>
            </li>
          </ul>
        </nav>
        <span className={`connection connection-${connection}`} role="status" aria-live="polite" data-testid="connection-state">
          {CONNECTION_LABELS[connection]}
        </span>
        <span className="who">{user.displayName}</span>
        <button type="button" className="secondary" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {match ? (
          match.route.render(match.params)
        ) : (
          <section>
            <h1>Not found</h1>
            <p>
              There is no page here. <Link to={homeRoute(user.role)}>Go to your start page</Link>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}
