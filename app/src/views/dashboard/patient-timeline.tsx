import { useCallback, useEffect, useMemo, useState } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';
import { useSession } from '../../api/session-context.js';
import type { DashboardUpdatesSubscription, StatusKind, TimelineEpdsDefinitionQuery, TimelineUpdateFragment } from '../../graphql/graphql.js';
import { Link } from '../../router.js';
import { Chart, LegendItem, type ChartSeries, type GuideBand, type GuideLine } from './chart.js';
import { DashboardUpdatesDocument, EpdsDefinitionDocument, TimelineDocument, TimelinePatientDocument, TimelinePostpartumDocument } from './dashboard-documents.js';
import { useResumableSubscription } from './resumable-subscription.js';
import { CLINICAL_LINES, CLINICAL_SOURCES, concernOf, kindLabel, summarise, when } from './status-summary.js';
import './dashboard.css';

type Update = TimelineUpdateFragment;
type Epds = TimelineEpdsDefinitionQuery['screeningInstrument'];

const COLORS = { primary: '#0b5cad', second: '#6b2fa0', third: '#1d6b35', guide: '#7a4a00', severe: '#a4141c', severeWash: 'rgba(164, 20, 28, 0.14)' };
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const dateOf = (s: number) => new Date(s * 1000).toLocaleDateString(undefined, { dateStyle: 'medium' });
const dateTimeOf = (s: number) => new Date(s * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Updates oldest first (uPlot wants ascending x), without duplicates. */
function chronological(updates: readonly Update[]): Update[] {
  const byId = new Map(updates.map((u) => [u.id, u]));
  return [...byId.values()].sort((a, b) => Date.parse(a.recordedAt) - Date.parse(b.recordedAt));
}

interface TimelineData {
  readonly mood: readonly Update[];
  readonly screening: readonly Update[];
  readonly feeding: readonly Update[];
  readonly vitals: readonly Update[];
  readonly recent: readonly Update[];
}

/** Which chart's list an update of each kind joins. */
const CHARTED: Partial<Record<StatusKind, 'mood' | 'screening' | 'feeding' | 'vitals'>> = { MOOD: 'mood', SCREENING: 'screening', FEEDING: 'feeding', VITALS: 'vitals' };

const EMPTY: TimelineData = { mood: [], screening: [], feeding: [], vitals: [], recent: [] };

/**
 * One patient's timeline: charts of mood, EPDS totals (with the server's published cut-offs), feeds
 * and diapers per day, and blood pressure (the severe range shaded), then her recent updates, all
 * kept current live. Each chart is also a hidden data table; a chart the server gave no data for
 * (a kind the caller may not read) is not drawn at all.
 */
export function PatientTimeline({ patientId }: { patientId: string }) {
  const session = useSession();
  const [name, setName] = useState<string | null>(null);
  const [days, setDays] = useState<number | null>(null);
  const [data, setData] = useState<TimelineData | null>(null);
  const [epds, setEpds] = useState<Epds | null>(null);
  const [error, setError] = useState<string | null>(null);

  const onUpdate = useCallback((event: DashboardUpdatesSubscription) => {
    const update = event.patientUpdates.update;
    const key = CHARTED[update.kind];
    setData((current) => {
      const base = current ?? EMPTY;
      if (base.recent.some((u) => u.id === update.id)) return base;
      return { ...base, recent: [update, ...base.recent].slice(0, 50), ...(key ? { [key]: [...base[key], update] } : {}) };
    });
  }, []);
  const liveError = useResumableSubscription(DashboardUpdatesDocument, { patientIds: [patientId] }, (event) => event.patientUpdates.cursor, onUpdate, patientId);

  useEffect(() => {
    let live = true;
    setName(null);
    setData(null);
    setError(null);
    const fail = (caught: unknown) => live && setError(caught instanceof GraphQLRequestError ? caught.message : 'The timeline could not be loaded.');
    session.request(TimelinePatientDocument, { id: patientId }).then((r) => live && setName(`${r.patient.givenName} ${r.patient.familyName}`), fail);
    session.request(TimelinePostpartumDocument, { id: patientId }).then((r) => live && setDays(r.patient.daysPostpartum), () => live && setDays(null));
    session.request(EpdsDefinitionDocument, {}).then((r) => live && setEpds(r.screeningInstrument), () => undefined);
    session.request(TimelineDocument, { id: patientId }).then((r) => {
      if (!live) return;
      const nodes = (list: { edges: ReadonlyArray<{ node: Update }> }) => list.edges.map((e) => e.node);
      setData((current) => {
        const seen = current ?? EMPTY;
        return {
          mood: [...nodes(r.mood), ...seen.mood],
          screening: [...nodes(r.screening), ...seen.screening],
          feeding: [...nodes(r.feeding), ...seen.feeding],
          vitals: [...nodes(r.vitals), ...seen.vitals],
          recent: [...seen.recent, ...nodes(r.recent).filter((u) => !seen.recent.some((s) => s.id === u.id))],
        };
      });
    }, fail);
    return () => {
      live = false;
    };
  }, [session, patientId]);

  useEffect(() => {
    if (name) document.title = `${name} · Cradle`;
  }, [name]);

  return (
    <div className="timeline">
      <p>
        <Link to="/dashboard">← Dashboard</Link>
      </p>
      <h1>{name ?? 'Patient'}</h1>
      {days !== null && <p className="muted">Day {days} after delivery</p>}
      {(error || liveError) && (
        <p role="alert" className="error">
          {error ?? liveError}
        </p>
      )}
      {data === null && !error && <p>Loading the timeline…</p>}
      {data && (
        <>
          <div className="chart-grid">
            <MoodChart updates={data.mood} />
            <EpdsChart updates={data.screening} epds={epds} />
            <FeedingChart updates={data.feeding} />
            <BloodPressureChart updates={data.vitals} />
          </div>
          <section className="card" aria-labelledby="recent-heading">
            <h2 id="recent-heading">Recent updates</h2>
            {data.recent.length === 0 ? (
              <p className="muted">Nothing logged that you can see yet.</p>
            ) : (
              <ol className="recent-updates">
                {data.recent.map((update) => {
                  const concern = concernOf(update);
                  return (
                    <li key={update.id} data-testid="recent-update" data-kind={update.kind} className={concern ? `concern-${concern}` : undefined}>
                      <span className="feed-kind">{kindLabel(update.kind)}</span> <span>{summarise(update)}</span>{' '}
                      <time dateTime={update.recordedAt} className="muted">
                        {when(update.recordedAt)}
                      </time>
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        </>
      )}
    </div>
  );
}

function MoodChart({ updates }: { updates: readonly Update[] }) {
  const chart = useMemo(() => {
    const sorted = chronological(updates);
    const x = sorted.map((u) => seconds(u.recordedAt));
    const series: ChartSeries[] = [{ label: 'Mood (1–5)', color: COLORS.primary, values: sorted.map((u) => num(u.data['score'])) }];
    return { x, series };
  }, [updates]);
  if (chart.x.length === 0) return null;
  const latest = chart.series[0]!.values.at(-1);
  return (
    <Chart
      testId="chart-mood"
      title="Mood over time"
      summary={`${chart.x.length} mood scores from ${dateOf(chart.x[0]!)} to ${dateOf(chart.x.at(-1)!)}; the latest is ${latest} of 5.`}
      x={chart.x}
      series={chart.series}
      yRange={MOOD_RANGE}
      yLabel="Score"
      formatX={dateTimeOf}
      legend={
        <ul>
          <LegendItem color={COLORS.primary} kind="line">
            Mood as she scored it, 1 (very low) to 5 (very good)
          </LegendItem>
        </ul>
      }
    />
  );
}
const MOOD_RANGE = [0.5, 5.5] as const;

function EpdsChart({ updates, epds }: { updates: readonly Update[]; epds: Epds | null }) {
  const chart = useMemo(() => {
    const sorted = chronological(updates).filter((u) => u.data['instrument'] === 'EPDS');
    const x = sorted.map((u) => seconds(u.recordedAt));
    const series: ChartSeries[] = [{ label: 'EPDS total', color: COLORS.second, values: sorted.map((u) => num(u.data['total'])) }];
    const cutOffs = (epds?.bands ?? []).filter((b) => b.minTotal > 0);
    const lines: GuideLine[] = cutOffs.map((b, i) => ({ value: b.minTotal, label: `${b.band.toLowerCase()} ≥ ${b.minTotal}`, color: i === cutOffs.length - 1 ? COLORS.severe : COLORS.guide }));
    const selfHarm = sorted.filter((u) => u.data['selfHarmItemPositive'] === true).length;
    return { x, series, lines, cutOffs, selfHarm, range: [0, epds?.maxTotal ?? 30] as const };
  }, [updates, epds]);
  if (chart.x.length === 0) return null;
  const cutOffText = chart.cutOffs.map((b) => `${b.band.toLowerCase()} from ${b.minTotal}`).join(', ');
  return (
    <Chart
      testId="chart-epds"
      title="EPDS totals"
      summary={`${chart.x.length} EPDS screenings; the latest total is ${chart.series[0]!.values.at(-1)} of ${chart.range[1]}${cutOffText ? ` (cut-offs: ${cutOffText})` : ''}.${chart.selfHarm ? ` ${chart.selfHarm} with the self-harm item (item 10) positive.` : ''}`}
      x={chart.x}
      series={chart.series}
      yRange={chart.range}
      yLabel="Total"
      lines={chart.lines}
      formatX={dateTimeOf}
      legend={
        <ul>
          <LegendItem color={COLORS.second} kind="line">
            EPDS total (0–{chart.range[1]})
          </LegendItem>
          {chart.cutOffs.map((band, i) => (
            <LegendItem key={band.band} color={i === chart.cutOffs.length - 1 ? COLORS.severe : COLORS.guide} kind="dash">
              {band.minTotal}: {band.meaning}
            </LegendItem>
          ))}
          <li>Item 10 above 0 prompts immediate suicide-risk assessment whatever the total (ACOG perinatal mental health screening guidance).</li>
          {epds && <li className="muted">Source: {epds.citation}</li>}
        </ul>
      }
    />
  );
}

function FeedingChart({ updates }: { updates: readonly Update[] }) {
  const chart = useMemo(() => {
    const days = new Map<string, { feeds: number; wet: number; dirty: number }>();
    for (const u of chronological(updates)) {
      const day = u.recordedAt.slice(0, 10);
      const entry = days.get(day) ?? { feeds: 0, wet: 0, dirty: 0 };
      entry.feeds += 1;
      entry.wet += num(u.data['wetDiapers']) ?? 0;
      entry.dirty += num(u.data['dirtyDiapers']) ?? 0;
      days.set(day, entry);
    }
    const keys = [...days.keys()].sort();
    const x = keys.map((day) => Date.parse(`${day}T12:00:00Z`) / 1000);
    const rows = keys.map((day) => days.get(day)!);
    const series: ChartSeries[] = [
      { label: 'Feeds', color: COLORS.primary, values: rows.map((r) => r.feeds), bars: true },
      { label: 'Wet diapers', color: COLORS.third, values: rows.map((r) => r.wet) },
      { label: 'Dirty diapers', color: COLORS.second, values: rows.map((r) => r.dirty), dash: [4, 3] },
    ];
    const top = Math.max(8, ...rows.flatMap((r) => [r.feeds, r.wet, r.dirty])) + 1;
    const lines: GuideLine[] = [
      { value: CLINICAL_LINES.wetDiapersPerDay, label: `≥ ${CLINICAL_LINES.wetDiapersPerDay} wet`, color: COLORS.third },
      { value: CLINICAL_LINES.dirtyDiapersPerDay, label: `≥ ${CLINICAL_LINES.dirtyDiapersPerDay} dirty`, color: COLORS.guide },
    ];
    return { x, series, lines, rows, range: [0, top] as const };
  }, [updates]);
  if (chart.x.length === 0) return null;
  const last = chart.rows.at(-1)!;
  return (
    <Chart
      testId="chart-feeding"
      title="Feeds and diapers per day"
      summary={`${chart.x.length} days with feeds logged (UTC days); on the latest, ${last.feeds} feeds, ${last.wet} wet and ${last.dirty} dirty diapers.`}
      x={chart.x}
      series={chart.series}
      yRange={chart.range}
      yLabel="Per day"
      lines={chart.lines}
      formatX={dateOf}
      legend={
        <ul>
          <LegendItem color={COLORS.primary} kind="bar">
            Feeds logged
          </LegendItem>
          <LegendItem color={COLORS.third} kind="line">
            Wet diapers
          </LegendItem>
          <LegendItem color={COLORS.second} kind="dash">
            Dirty diapers
          </LegendItem>
          <li>
            Dashed guides: from day 5, at least {CLINICAL_LINES.wetDiapersPerDay} wet and {CLINICAL_LINES.dirtyDiapersPerDay} dirty diapers per 24 hours; fewer needs review ({CLINICAL_SOURCES.diapers}).
          </li>
        </ul>
      }
    />
  );
}

function BloodPressureChart({ updates }: { updates: readonly Update[] }) {
  const chart = useMemo(() => {
    const sorted = chronological(updates).filter((u) => num(u.data['systolic']) !== null || num(u.data['diastolic']) !== null);
    const x = sorted.map((u) => seconds(u.recordedAt));
    const series: ChartSeries[] = [
      { label: 'Systolic (mmHg)', color: COLORS.primary, values: sorted.map((u) => num(u.data['systolic'])) },
      { label: 'Diastolic (mmHg)', color: COLORS.second, values: sorted.map((u) => num(u.data['diastolic'])), dash: [4, 3] },
    ];
    const top = Math.max(200, ...sorted.map((u) => (num(u.data['systolic']) ?? 0) + 10));
    const bands: GuideBand[] = [{ from: CLINICAL_LINES.severeSystolic, to: top, color: COLORS.severeWash }];
    const lines: GuideLine[] = [
      { value: CLINICAL_LINES.severeSystolic, label: `severe systolic ≥ ${CLINICAL_LINES.severeSystolic}`, color: COLORS.severe },
      { value: CLINICAL_LINES.severeDiastolic, label: `severe diastolic ≥ ${CLINICAL_LINES.severeDiastolic}`, color: COLORS.severe },
    ];
    const severe = sorted.filter((u) => u.data['bloodPressureCategory'] === 'SEVERE').length;
    return { x, series, bands, lines, severe, range: [40, top] as const };
  }, [updates]);
  if (chart.x.length === 0) return null;
  const sys = chart.series[0]!.values.at(-1);
  const dia = chart.series[1]!.values.at(-1);
  return (
    <Chart
      testId="chart-blood-pressure"
      title="Blood pressure"
      summary={`${chart.x.length} readings; the latest ${sys ?? '–'}/${dia ?? '–'} mmHg. ${chart.severe} in the severe range (systolic ≥ ${CLINICAL_LINES.severeSystolic} or diastolic ≥ ${CLINICAL_LINES.severeDiastolic}).`}
      x={chart.x}
      series={chart.series}
      yRange={chart.range}
      yLabel="mmHg"
      lines={chart.lines}
      bands={chart.bands}
      formatX={dateTimeOf}
      legend={
        <ul>
          <LegendItem color={COLORS.primary} kind="line">
            Systolic
          </LegendItem>
          <LegendItem color={COLORS.second} kind="dash">
            Diastolic
          </LegendItem>
          <LegendItem color={COLORS.severeWash} kind="band">
            Severe range: systolic ≥ {CLINICAL_LINES.severeSystolic} or diastolic ≥ {CLINICAL_LINES.severeDiastolic} mmHg, either suffices; persisting 15 minutes or more, treat within 30–60 minutes ({CLINICAL_SOURCES.bloodPressure})
          </LegendItem>
          <li>
            Hypertension from {CLINICAL_LINES.hypertensiveSystolic}/{CLINICAL_LINES.hypertensiveDiastolic} mmHg: same-day clinical review.
          </li>
        </ul>
      }
    />
  );
}
