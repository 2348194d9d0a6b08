import { useCallback, useEffect, useState } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';
import { useConnectionState, useSession } from '../../api/session-context.js';
import type { DashboardPatientsQuery, DashboardUpdatesSubscription, StatusKind } from '../../graphql/graphql.js';
import { Link } from '../../router.js';
import { AlertsPanel } from './alerts-panel.js';
import { DashboardUpdatesDocument, LatestStatusDocument, MyPatientsDocument } from './dashboard-documents.js';
import { withNewest } from './dashboard-state.js';
import { useResumableSubscription } from './resumable-subscription.js';
import { ago, concernOf, kindLabel, summarise, SUMMARY_KINDS, type StatusLike } from './status-summary.js';
import './dashboard.css';

/** One patient on the dashboard with her newest update of each kind the server returned. */
interface PatientRow {
  readonly id: string;
  readonly name: string;
  readonly latest: Partial<Record<StatusKind, StatusLike>>;
}

/** One update of the live feed as it arrived. */
export type FeedEvent = DashboardUpdatesSubscription['patientUpdates'];

/** How many patients' summaries load at once (a large panel must not open hundreds of requests). */
const PARALLEL_REQUESTS = 6;

/** How many live updates the feed keeps on screen. */
const FEED_LENGTH = 100;

/**
 * The clinician dashboard: the alerts panel, the caller's patients (as the `patients` query returns
 * them) with the newest update of each kind the server lets them read, and a live feed of updates
 * that resumes from its last cursor after a network drop. It decides no access: a kind the server
 * leaves out is simply not shown.
 */
export function Dashboard() {
  const session = useSession();
  const [patients, setPatients] = useState<readonly PatientRow[] | null>(null);
  const [feed, setFeed] = useState<readonly FeedEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  const onUpdate = useCallback((event: DashboardUpdatesSubscription) => {
    const item = event.patientUpdates;
    setFeed((current) => [item, ...current].slice(0, FEED_LENGTH));
    setPatients((current) =>
      current?.map((row) => (row.id === item.update.patient.id ? { ...row, latest: withNewest(row.latest, [item.update]) } : row)) ?? current,
    );
  }, []);
  const feedError = useResumableSubscription(DashboardUpdatesDocument, {}, (event) => event.patientUpdates.cursor, onUpdate);

  useEffect(() => {
    let live = true;
    (async () => {
      const rows: PatientRow[] = [];
      let after: string | null = null;
      for (;;) {
        const page: DashboardPatientsQuery = await session.request(MyPatientsDocument, { after });
        rows.push(...page.patients.edges.map(({ node }) => ({ id: node.id, name: `${node.givenName} ${node.familyName}`, latest: {} })));
        if (!page.patients.pageInfo.hasNextPage) break;
        after = page.patients.pageInfo.endCursor ?? null;
      }
      const filled: PatientRow[] = [];
      for (let start = 0; start < rows.length && live; start += PARALLEL_REQUESTS) {
        filled.push(
          ...(await Promise.all(
            rows.slice(start, start + PARALLEL_REQUESTS).map(async (row) => {
              const latest = await session.request(LatestStatusDocument, { patientId: row.id });
              const lists = [latest.mood, latest.feeding, latest.sleep, latest.vitals, latest.screening];
              return { ...row, latest: withNewest<StatusLike>({}, lists.flatMap((list) => list.edges.slice(0, 1).map((edge) => edge.node))) };
            }),
          )),
        );
      }
      if (!live) return;
      // Updates that arrived live while the lists loaded stay if they are newer.
      setPatients((current) =>
        filled.map((row) => {
          const seen = current?.find((r) => r.id === row.id)?.latest ?? {};
          return { ...row, latest: withNewest(row.latest, Object.values(seen).filter((update) => update !== undefined)) };
        }),
      );
    })().catch((caught: unknown) => live && setError(caught instanceof GraphQLRequestError ? caught.message : 'Your patients could not be loaded.'));
    return () => {
      live = false;
    };
  }, [session]);

  return (
    <div className="dashboard">
      <h1>Dashboard</h1>
      <div className="dashboard-grid">
        <AlertsPanel />
        <section className="card patients" aria-labelledby="patients-heading">
          <h2 id="patients-heading">My patients</h2>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          {patients === null && !error && <p>Loading your patients…</p>}
          {patients?.length === 0 && <p>You have no patients in your care.</p>}
          {patients && patients.length > 0 && (
            <ul className="patient-list">
              {patients.map((row) => (
                <PatientCard key={row.id} row={row} />
              ))}
            </ul>
          )}
        </section>
        <LiveFeed feed={feed} error={feedError} />
      </div>
    </div>
  );
}

function PatientCard({ row }: { row: PatientRow }) {
  const kinds = SUMMARY_KINDS.filter((kind) => row.latest[kind]);
  return (
    <li className="patient-card" data-testid="patient-card" data-patient-id={row.id}>
      <h3>
        <Link to={`/patients/${encodeURIComponent(row.id)}`}>{row.name}</Link>
      </h3>
      {kinds.length === 0 ? (
        <p className="muted">Nothing logged that you can see yet.</p>
      ) : (
        <dl className="latest">
          {kinds.map((kind) => {
            const update = row.latest[kind]!;
            const concern = concernOf(update);
            return (
              <div key={kind} data-kind={kind} className={concern ? `concern-${concern}` : undefined}>
                <dt>{kindLabel(kind)}</dt>
                <dd>
                  {summarise(update)} <span className="muted">· {ago(update.recordedAt)}</span>
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </li>
  );
}

const STATE_TEXT = { connecting: 'connecting', connected: 'live', reconnecting: 'reconnecting: updates logged meanwhile will follow', closed: 'offline' } as const;

/** The live feed: updates as they arrive, newest first, with the socket's state beside the heading. */
function LiveFeed({ feed, error }: { feed: readonly FeedEvent[]; error: string | null }) {
  const connection = useConnectionState();
  return (
    <section className="card live-feed" aria-labelledby="feed-heading">
      <h2 id="feed-heading">Live updates</h2>
      <p className={`feed-state connection-${connection}`} data-testid="feed-state">
        Feed {STATE_TEXT[connection]}
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {feed.length === 0 ? (
        <p className="muted">Updates appear here as your patients log them.</p>
      ) : (
        <ol className="feed" aria-label="Live updates, newest first">
          {feed.map((item) => (
            <li key={item.cursor} data-testid="feed-item" data-cursor={item.cursor} data-update-id={item.update.id} data-kind={item.update.kind}>
              <Link to={`/patients/${encodeURIComponent(item.update.patient.id)}`}>
                {item.update.patient.givenName} {item.update.patient.familyName}
              </Link>
              <span className="feed-kind">{kindLabel(item.update.kind)}</span>
              <span>{summarise(item.update)}</span>
              <time dateTime={item.update.recordedAt} className="muted">
                {new Date(item.update.recordedAt).toLocaleTimeString()}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
