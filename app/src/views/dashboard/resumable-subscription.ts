import { useEffect, useRef, useState } from 'react';
import { useSession } from '../../api/session-context.js';
import type { TypedDocumentString } from '../../graphql/graphql.js';
import { SeenCursors } from './dashboard-state.js';

/** How many recent cursors a subscription remembers to drop repeats (a replay overlaps only the last few). */
const SEEN_LIMIT = 5000;

/**
 * Runs a subscription that takes `since` and resumes from the last cursor it received: the
 * variables' `since` is a getter, read whenever graphql-ws sends the subscribe message, so its own
 * retry after a network drop re-subscribes from the newest cursor rather than from where the view
 * started. Each event is handed to `onEvent` once: a cursor already seen is dropped, so a replay
 * that overlaps what arrived before the drop doubles nothing. `key` restarts the subscription
 * (from its last cursor) when it changes. Returns the server's error message, if it sent one.
 */
export function useResumableSubscription<TResult, TVariables extends { since?: string | null }>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: Omit<TVariables, 'since'>,
  cursorOf: (event: TResult) => string,
  onEvent: (event: TResult) => void,
  key = '',
): string | null {
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const cursorFor = useRef(cursorOf);
  cursorFor.current = cursorOf;
  const resume = useRef(new SeenCursors(SEEN_LIMIT));

  useEffect(() => {
    const seen = resume.current;
    const live = { ...variables } as TVariables;
    Object.defineProperty(live, 'since', { enumerable: true, get: () => seen.last });
    const stop = session.subscribe(document, live, {
      next: (event) => {
        const cursor = cursorFor.current(event);
        if (!seen.accept(cursor)) return;
        setError(null);
        handler.current(event);
      },
      error: (caught) => setError(caught.message),
    });
    return stop;
    // The variables are keyed by `key`: a caller changes `key` when they change.
  }, [session, document, key]);

  return error;
}
