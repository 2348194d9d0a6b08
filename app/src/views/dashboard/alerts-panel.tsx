import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';
import { useSession } from '../../api/session-context.js';
import type { DashboardAlertEventsSubscription, DashboardAlertFragment } from '../../graphql/graphql.js';
import { Link } from '../../router.js';
import { AcknowledgeAlertDocument, AlertEventsDocument, OpenAlertsDocument, ResolveAlertDocument } from './dashboard-documents.js';
import { useResumableSubscription } from './resumable-subscription.js';
import { mergeAlerts, panelOrder } from './dashboard-state.js';
import { when } from './status-summary.js';

type AlertView = DashboardAlertFragment;

const message = (caught: unknown, fallback: string) => (caught instanceof GraphQLRequestError ? caught.message : fallback);

/**
 * The alerts panel: unresolved alerts the server shows the caller, kept current by the `alerts`
 * subscription (resuming from its last cursor), ordered by severity then time, each with
 * acknowledge and resolve-with-a-note. The server's refusals are shown where they happened.
 */
export function AlertsPanel() {
  const session = useSession();
  const [alerts, setAlerts] = useState<ReadonlyMap<string, AlertView>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const headingRef = useRef<HTMLHeadingElement>(null);

  const merge = useCallback((incoming: readonly AlertView[]) => {
    setAlerts((current) => mergeAlerts(current, incoming));
  }, []);

  const onEvent = useCallback(
    (event: DashboardAlertEventsSubscription) => {
      merge([event.alerts.alert]);
      if (event.alerts.action === 'RAISED' && event.alerts.alert.severity === 'CRITICAL') {
        setAnnouncement(`New critical alert: ${event.alerts.alert.protocol.name} for ${event.alerts.alert.patient.givenName} ${event.alerts.alert.patient.familyName}.`);
      }
    },
    [merge],
  );
  const liveError = useResumableSubscription(AlertEventsDocument, {}, (event) => event.alerts.cursor, onEvent);

  useEffect(() => {
    let live = true;
    session.request(OpenAlertsDocument, {}).then(
      (result) => {
        if (!live) return;
        merge([...result.open.edges, ...result.acknowledged.edges].map((edge) => edge.node));
        setLoaded(true);
      },
      (caught: unknown) => live && setError(message(caught, 'The alerts could not be loaded.')),
    );
    return () => {
      live = false;
    };
  }, [session, merge]);

  const shown = panelOrder([...alerts.values()].filter((alert) => alert.status !== 'RESOLVED'));
  const onResolved = (alert: AlertView) => {
    merge([alert]);
    setAnnouncement(`Alert resolved: ${alert.protocol.name} for ${alert.patient.givenName} ${alert.patient.familyName}.`);
    headingRef.current?.focus();
  };

  return (
    <section className="card alerts-panel" aria-labelledby="alerts-heading" data-testid="alerts-panel">
      <h2 id="alerts-heading" tabIndex={-1} ref={headingRef}>
        Alerts {loaded && <span className="count">({shown.length} unresolved)</span>}
      </h2>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {(error || liveError) && (
        <p role="alert" className="error">
          {error ?? liveError}
        </p>
      )}
      {!loaded && !error && <p>Loading alerts…</p>}
      {loaded && shown.length === 0 && <p className="muted">No unresolved alerts.</p>}
      {shown.length > 0 && (
        <ul className="alert-list">
          {shown.map((alert) => (
            <AlertItem key={alert.id} alert={alert} onChanged={(a) => merge([a])} onResolved={onResolved} />
          ))}
        </ul>
      )}
    </section>
  );
}

function AlertItem({ alert, onChanged, onResolved }: { alert: AlertView; onChanged: (a: AlertView) => void; onResolved: (a: AlertView) => void }) {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState(false);
  const [note, setNote] = useState('');
  const itemRef = useRef<HTMLLIElement>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const titleId = `alert-${alert.id}-title`;
  const noteId = `alert-${alert.id}-note`;

  useEffect(() => {
    if (resolving) noteRef.current?.focus();
  }, [resolving]);

  const acknowledge = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await session.request(AcknowledgeAlertDocument, { id: alert.id });
      onChanged(result.acknowledgeAlert);
      itemRef.current?.focus();
    } catch (caught) {
      setError(message(caught, 'The alert could not be acknowledged.'));
    } finally {
      setBusy(false);
    }
  };

  const resolve = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await session.request(ResolveAlertDocument, { id: alert.id, note });
      onResolved(result.resolveAlert);
    } catch (caught) {
      setError(message(caught, 'The alert could not be resolved.'));
      noteRef.current?.focus();
      setBusy(false);
    }
  };

  return (
    <li
      className={`alert-item alert-${alert.severity}`}
      data-testid="alert-item"
      data-alert-id={alert.id}
      data-severity={alert.severity}
      data-status={alert.status}
      aria-labelledby={titleId}
      tabIndex={-1}
      ref={itemRef}
    >
      <p className="alert-title" id={titleId}>
        <span className={`severity severity-${alert.severity}`}>{alert.severity === 'CRITICAL' ? 'Critical' : alert.severity === 'WARNING' ? 'Warning' : 'Info'}</span>{' '}
        {alert.protocol.name}
        {alert.incompleteData && ' (incomplete data)'}
      </p>
      <p className="alert-meta">
        <Link to={`/patients/${encodeURIComponent(alert.patient.id)}`}>
          {alert.patient.givenName} {alert.patient.familyName}
        </Link>{' '}
        · opened <time dateTime={alert.openedAt}>{when(alert.openedAt)}</time>
        {alert.escalationTier !== null && alert.escalationTier !== undefined && ` · paged tier ${alert.escalationTier}`}
        {' · '}
        <span data-testid="alert-status">{alert.status === 'OPEN' ? 'Open' : alert.status === 'ACKNOWLEDGED' ? 'Acknowledged' : 'Resolved'}</span>
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="alert-actions">
        {alert.status === 'OPEN' && (
          <button type="button" onClick={() => void acknowledge()} disabled={busy}>
            Acknowledge
          </button>
        )}
        {!resolving && (
          <button type="button" className="secondary" onClick={() => setResolving(true)} disabled={busy}>
            Resolve…
          </button>
        )}
      </div>
      {resolving && (
        <form className="resolve-form" onSubmit={resolve} aria-label={`Resolve ${alert.protocol.name}`}>
          <label htmlFor={noteId}>Resolution note</label>
          <textarea id={noteId} ref={noteRef} value={note} onChange={(e) => setNote(e.target.value)} aria-describedby={`${noteId}-hint`} />
          <p id={`${noteId}-hint`} className="muted">
            Say what was done; the note is kept with the alert.
          </p>
          <div className="alert-actions">
            <button type="submit" disabled={busy}>
              Resolve alert
            </button>
            <button type="button" className="secondary" onClick={() => setResolving(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
