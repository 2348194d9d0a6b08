import type { EntityManager } from '@mikro-orm/postgresql';
import { Infant, Patient, StatusUpdate, type StatusKind } from '../db/entities/index.js';
import type { ObservationFact, PatientFacts } from '../protocols/protocol.js';
import { asDate } from '../schema/common/dates.js';

/**
 * How far back an evaluation reads a patient's history, in days. Window functions of the built-in
 * library look back at most 60 days; 180 leaves room for custom rules while bounding the load.
 */
export const HISTORY_LOOKBACK_DAYS = 180;

/** Options of {@link loadPatientFacts}. */
export interface PatientFactsOptions {
  /**
   * Select (and decrypt) only the columns the facts need, leaving the entities partially loaded.
   * Only for an EntityManager of the caller's own that uses those patients and infants for nothing
   * else (a background worker's fork), never a request's.
   */
  readonly factColumnsOnly?: boolean;
}

/**
 * Loads what the engine knows about patients (delivery date, infants) through the ORM entities,
 * so transparently encrypted columns arrive decrypted. Returns a map by patient id.
 */
export async function loadPatientFacts(
  em: EntityManager,
  tenantId: string,
  patientIds: readonly string[],
  options: PatientFactsOptions = {},
): Promise<Map<string, PatientFacts>> {
  const facts = new Map<string, PatientFacts>();
  if (patientIds.length === 0) return facts;
  const [patients, infants] = await Promise.all([
    em.find(Patient, { tenantId, id: { $in: [...patientIds] } }, options.factColumnsOnly ? { fields: ['id', 'deliveryDate'] } : {}),
    em.find(
      Infant,
      { tenantId, patientId: { $in: [...patientIds] } },
      { orderBy: { createdAt: 'asc', id: 'asc' }, ...(options.factColumnsOnly ? { fields: ['id', 'patientId', 'birthDate', 'birthWeightGrams'] as const } : {}) },
    ),
  ]);
  for (const patient of patients) {
    facts.set(patient.id, {
      patientId: patient.id,
      deliveryDate: patient.deliveryDate,
      infants: infants
        .filter((i) => i.patientId === patient.id)
        .map((i) => ({ id: i.id, birthDate: i.birthDate, birthWeightGrams: i.birthWeightGrams })),
    });
  }
  return facts;
}

/** One stored status update as the engine sees it. */
export function observationOf(row: StatusUpdate): ObservationFact {
  return {
    id: row.id,
    kind: row.kind as StatusKind,
    recordedAt: asDate(row.recordedAt).getTime(),
    infantId: row.infantId ?? null,
    data: row.data,
  };
}

/** An observation with its update's tenant cursor (`StatusUpdate.seq`), to cut a history at an event. */
export interface SequencedObservation {
  readonly seq: number;
  readonly observation: ObservationFact;
}

/** Options of {@link loadObservations}. */
export interface ObservationWindow {
  /** Only updates committed before this tenant cursor. */
  readonly beforeSeq?: number;
  /** Only updates from this tenant cursor on. */
  readonly fromSeq?: number;
  /** The look-back window, in days ({@link HISTORY_LOOKBACK_DAYS} by default). */
  readonly lookbackDays?: number;
}

/**
 * Patients' observations recorded in the look-back window before `now`, read through the ORM
 * (decrypted). With `beforeSeq`, only updates committed before that tenant cursor: the history an
 * event's evaluation sees is then fixed, whenever (and however often) it runs. With `fromSeq`, only
 * updates from that cursor on (to extend a history already loaded).
 */
export async function loadObservations(
  em: EntityManager,
  tenantId: string,
  patientIds: readonly string[],
  now: number,
  options: ObservationWindow = {},
): Promise<Map<string, ObservationFact[]>> {
  const sequenced = await loadSequencedObservations(em, tenantId, patientIds, now, options);
  return new Map([...sequenced].map(([patientId, rows]) => [patientId, rows.map((r) => r.observation)]));
}

/** {@link loadObservations} with each observation's tenant cursor, in cursor order per patient. */
export async function loadSequencedObservations(
  em: EntityManager,
  tenantId: string,
  patientIds: readonly string[],
  now: number,
  options: ObservationWindow = {},
): Promise<Map<string, SequencedObservation[]>> {
  const byPatient = new Map<string, SequencedObservation[]>(patientIds.map((id) => [id, []]));
  if (patientIds.length === 0) return byPatient;
  const since = new Date(now - (options.lookbackDays ?? HISTORY_LOOKBACK_DAYS) * 86_400_000);
  const rows = await em.find(
    StatusUpdate,
    {
      tenantId,
      patientId: { $in: [...patientIds] },
      recordedAt: { $gte: since },
      ...(options.beforeSeq !== undefined || options.fromSeq !== undefined
        ? {
            seq: {
              ...(options.beforeSeq !== undefined ? { $lt: options.beforeSeq } : {}),
              ...(options.fromSeq !== undefined ? { $gte: options.fromSeq } : {}),
            },
          }
        : {}),
    },
    { orderBy: { seq: 'asc' } },
  );
  for (const row of rows) byPatient.get(row.patientId)?.push({ seq: row.seq, observation: observationOf(row) });
  return byPatient;
}
