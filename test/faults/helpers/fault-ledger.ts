import { seqOf } from '../../helpers/live.js';
import type { HeapReading } from './cradle-instance.js';
import type { FaultDeployment } from './fault-deployment.js';
import type { FaultTally } from './fault-summary.js';
import type { SubscriberRecord } from './resuming-subscriber.js';
import type { WriteLoad } from './write-load.js';

/** A status update as stored: what every subscriber is judged against. */
interface StoredUpdate {
  readonly id: string;
  readonly patientId: string;
  readonly seq: number;
}

/** What the tally of a scenario found, with a readable line per problem (ids and cursors only). */
export interface LedgerResult {
  readonly tally: FaultTally;
  readonly problems: readonly string[];
}

/** The status updates committed in the tenant after `afterSeq`, in cursor order. */
async function storedUpdates(deployment: FaultDeployment, tenantId: string, afterSeq: number): Promise<StoredUpdate[]> {
  const rows = await deployment.sql<{ id: string; patient_id: string; seq: string }>(
    'select id, patient_id, seq from status_update where tenant_id = $1 and seq > $2 order by seq',
    [tenantId, afterSeq],
  );
  return rows.map((r) => ({ id: r.id, patientId: r.patient_id, seq: Number(r.seq) }));
}

/** The distinct cursors (as sequence numbers) a subscriber received. */
const seqsOf = (subscriber: SubscriberRecord) => new Set(subscriber.received.map((e) => seqOf(e.cursor)));

/**
 * Waits until every subscriber has received every update it is entitled to (after `afterSeq`),
 * then a quiet second more so late duplicates would show. Gives up after `timeoutMs` (the tally
 * then reports what is missing).
 */
export async function waitForDelivery(deployment: FaultDeployment, tenantId: string, afterSeq: number, subscribers: readonly SubscriberRecord[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stored = await storedUpdates(deployment, tenantId, afterSeq);
    const complete = subscribers.every((s) => {
      const seen = seqsOf(s);
      return stored.every((u) => !s.entitled.has(u.patientId) || seen.has(u.seq));
    });
    if (complete) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 1000));
}

/**
 * Judges a scenario against the database: every acknowledged write must be stored (with its
 * cursor), every entitled subscriber must hold every stored update after `afterSeq` exactly once,
 * and nobody may hold an update it is not entitled to (or one that does not exist).
 */
export async function tallyScenario(
  deployment: FaultDeployment,
  scenario: { readonly name: string; readonly faults: number; readonly tenantId: string; readonly afterSeq: number },
  load: WriteLoad,
  subscribers: readonly SubscriberRecord[],
  heapGrowthMiB: number | null,
): Promise<LedgerResult> {
  const stored = await storedUpdates(deployment, scenario.tenantId, scenario.afterSeq);
  const byId = new Map(stored.map((u) => [u.id, u]));
  const problems: string[] = [];
  const lost = load.acknowledged.filter((ack) => byId.get(ack.id)?.seq !== ack.seq);
  for (const ack of lost.slice(0, 5)) problems.push(`acknowledged write ${ack.id} (seq ${ack.seq}) is not in the database`);
  let delivered = 0;
  let missed = 0;
  let duplicated = 0;
  let unauthorised = 0;
  for (const subscriber of subscribers) {
    const seen = new Set<number>();
    for (const event of subscriber.received) {
      const seq = seqOf(event.cursor);
      const update = byId.get(event.id);
      if (!update || update.seq !== seq || !subscriber.entitled.has(update.patientId)) {
        unauthorised += 1;
        if (unauthorised <= 5) problems.push(`${subscriber.label} received seq ${seq} (update ${event.id}) it is not entitled to`);
        continue;
      }
      if (seen.has(seq)) {
        duplicated += 1;
        if (duplicated <= 5) problems.push(`${subscriber.label} received seq ${seq} more than once`);
        continue;
      }
      seen.add(seq);
      delivered += 1;
    }
    const missing = stored.filter((u) => subscriber.entitled.has(u.patientId) && !seen.has(u.seq));
    missed += missing.length;
    if (missing.length > 0) problems.push(`${subscriber.label} missed ${missing.length} update(s), seq ${missing.slice(0, 8).map((u) => u.seq).join(', ')}${missing.length > 8 ? ', …' : ''}`);
  }
  return {
    tally: {
      scenario: scenario.name,
      faults: scenario.faults,
      written: stored.length,
      acknowledged: load.acknowledged.length,
      refused: load.refused.length,
      delivered,
      missed,
      duplicated,
      unauthorised,
      lostAcknowledged: lost.length,
      heapGrowthMiB,
    },
    problems,
  };
}

/**
 * Status updates and outbox events that do not pair up one to one (same tenant, cursor and
 * subject): a write applied by half would show here. Also counts outbox rows never published.
 */
export async function outboxDisagreements(deployment: FaultDeployment): Promise<{ unpaired: number; unpublished: number }> {
  const [row] = await deployment.sql<{ unpaired: string; unpublished: string }>(
    `select
       (select count(*) from status_update s full join (select * from outbox_event where type = 'STATUS_UPDATE_LOGGED') o
          on o.tenant_id = s.tenant_id and o.seq = s.seq and o.subject_id = s.id
        where s.id is null or o.id is null) as unpaired,
       (select count(*) from outbox_event where published_at is null) as unpublished`,
  );
  return { unpaired: Number(row!.unpaired), unpublished: Number(row!.unpublished) };
}

/**
 * The largest growth, in MiB, of an instance's heap after a forced GC over its baseline, among
 * instances read both times; `null` when none was (every instance was replaced).
 */
export function heapGrowthMiB(before: ReadonlyMap<string, HeapReading>, after: ReadonlyMap<string, HeapReading>): number | null {
  let growth: number | null = null;
  for (const [name, reading] of after) {
    const base = before.get(name);
    if (base) growth = Math.max(growth ?? -Infinity, (reading.heapUsed - base.heapUsed) / 2 ** 20);
  }
  return growth === null ? null : Math.round(growth * 10) / 10;
}
