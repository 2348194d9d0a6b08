import type { EntityManager } from '@mikro-orm/postgresql';
import { Alert, AlertHistory, type AlertHistoryAction, type AlertRecipients } from '../db/entities/index.js';
import { AlertView, type AlertEvent } from '../schema/alert/alert.type.js';
import { Cursor } from '../schema/common/cursor.js';
import { alertRecords } from './alert.service.js';

/**
 * One announced alert step, ready for live delivery: the event (built once, shared by every
 * subscriber), who it is for, and the alert's patient and categories for the access check.
 */
export interface LoadedAlertEvent {
  readonly seq: number;
  readonly patientId: string;
  /** Every category the alert reads, as it is now (a delivery checks all of them). */
  readonly categories: readonly string[];
  readonly recipients: AlertRecipients;
  readonly event: AlertEvent;
}

/** Builds the live events of announced history steps, loading their alerts (and names) in a few queries. */
async function build(em: EntityManager, steps: readonly AlertHistory[]): Promise<LoadedAlertEvent[]> {
  if (steps.length === 0) return [];
  const alerts = await em.find(Alert, { id: { $in: [...new Set(steps.map((s) => s.alertId))] } });
  const records = new Map((await alertRecords(em, alerts)).map((r) => [r.alert.id, r]));
  const views = new Map<string, AlertView>();
  const events: LoadedAlertEvent[] = [];
  for (const step of steps) {
    const record = records.get(step.alertId);
    if (!record || step.seq === null || step.seq === undefined) continue;
    let view = views.get(step.alertId);
    if (!view) views.set(step.alertId, (view = new AlertView(record)));
    events.push({
      seq: step.seq,
      patientId: step.patientId,
      categories: record.alert.categories,
      recipients: step.recipients ?? { roles: [], userIds: [] },
      event: { cursor: Cursor.ofSeq(step.seq), action: step.action as AlertHistoryAction, alert: view },
    });
  }
  return events;
}

/**
 * The announced alert steps with these tenant cursors (the ALERT_CHANGED events the bus carried),
 * by cursor. The alert is shown as it is now (a page that is delivered late shows the alert
 * already acknowledged, if it was).
 */
export async function loadAlertEvents(em: EntityManager, tenantId: string, seqs: readonly number[]): Promise<Map<number, LoadedAlertEvent>> {
  if (seqs.length === 0) return new Map();
  const steps = await em.find(AlertHistory, { tenantId, seq: { $in: [...seqs] } });
  return new Map((await build(em, steps)).map((e) => [e.seq, e]));
}

/** Announced alert steps of these patients after a cursor, in cursor order (for `alerts(since)` replay). */
export async function alertEventsAfter(
  em: EntityManager,
  tenantId: string,
  patientIds: readonly string[],
  afterSeq: number,
  limit: number,
): Promise<{ events: LoadedAlertEvent[]; lastSeq: number | null; full: boolean }> {
  if (patientIds.length === 0) return { events: [], lastSeq: null, full: false };
  const steps = await em.find(
    AlertHistory,
    { tenantId, patientId: { $in: [...patientIds] }, seq: { $gt: afterSeq, $ne: null } },
    { orderBy: { seq: 'asc' }, limit },
  );
  return { events: await build(em, steps), lastSeq: steps.at(-1)?.seq ?? null, full: steps.length === limit };
}
