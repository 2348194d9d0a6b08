import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { ConnectionState } from './graphql-client.js';
import type { Session, SignedInUser } from './session.js';

const SessionContext = createContext<Session | null>(null);

/** Makes the app's one {@link Session} available to every view below it. */
export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The app's session (for requests and subscriptions). */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a SessionProvider above it.');
  return session;
}

/** The signed-in user, re-rendering on sign-in and sign-out. */
export function useSignedInUser(): SignedInUser | null {
  const session = useSession();
  return useSyncExternalStore(
    (listener) => session.onChange(listener),
    () => session.user,
  );
}

/** The live socket's state, re-rendering when it changes. */
export function useConnectionState(): ConnectionState {
  const session = useSession();
  const [state, setState] = useState(session.connectionState);
  useEffect(() => session.onConnectionState(setState), [session]);
  return state;
}
