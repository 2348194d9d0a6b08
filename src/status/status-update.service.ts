import type { EntityManager } from '@mikro-orm/postgresql';
import { scoreScreening, ScreeningInputError } from '../clinical/screening.js';
import { classifyBloodPressure, DIAPER_COUNT_RANGE, DIASTOLIC_BP_RANGE_MMHG, FEEDING_DURATION_RANGE_MINUTES,
  FEEDING_VOLUME_RANGE_ML, HEART_RATE_RANGE_BPM, INFANT_WEIGHT_RANGE_GRAMS, MOOD_SCORE_RANGE,
  SLEEP_DURATION_RANGE_HOURS, SYSTOLIC_BP_RANGE_MMHG, TEMPERATURE_RANGE_CELSIUS } from '../clinical/vitals.js';
import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import type { RequestContext } from '../context.js';
import { sealForSql } from '../crypto/field-crypto.js';
import { executeBound } from '../db/bound-query.js';
import { Infant, type StatusKind } from '../db/entities/index.js';
import type { StatusUpdateRow } from '../schema/status/status-update.type.js';
import { BadInputError, NotFoundError } from '../errors.js';
import type {
  LogFeedingInput, LogInfantVitalsInput, LogMoodInput, LogSleepInput, LogSymptomsInput, LogVitalsInput, SubmitScreeningInput,
} from '../schema/status/status-update.input.js';
import { checkId, checkNote, checkRange, checkRecordedAt } from './input-checks.js';

/** A validated observation, ready to store. */
export interface Observation {
  readonly patientId: string;
  readonly infantId: string | null;
  readonly kind: StatusKind;
  readonly recordedAt: Date;
  readonly data: Record<string, unknown>;
}

/** Removes undefined values so stored JSON has only what was given. */
function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/**
 * Logs what patients report. Every write validates first (nothing is stored on bad input), checks
 * that the caller may write this kind for this patient (herself, or a care-team member whose role
 * covers the kind's category), then stores the update and its outbox event in one transaction with
 * the tenant's next event cursor.
 */
export class StatusUpdateService {
  constructor(private readonly ctx: RequestContext) {}

  private now(): number {
    return this.ctx.services.now();
  }

  logMood(input: LogMoodInput): Promise<StoredStatusUpdate> {
    return this.record(() => ({
      patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
      infantId: null,
      kind: 'MOOD',
      recordedAt: checkRecordedAt(input.recordedAt, this.now(), 'input.recordedAt'),
      data: compact({
        score: checkRange(input.score, MOOD_SCORE_RANGE, 'input.score'),
        note: checkNote(input.note, 'input.note'),
      }),
    }));
  }

  logSleep(input: LogSleepInput): Promise<StoredStatusUpdate> {
    return this.record(() => ({
      patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
      infantId: null,
      kind: 'SLEEP',
      recordedAt: checkRecordedAt(input.recordedAt, this.now(), 'input.recordedAt'),
      data: { hours: checkRange(input.hours, SLEEP_DURATION_RANGE_HOURS, 'input.hours') },
    }));
  }

  logVitals(input: LogVitalsInput): Promise<StoredStatusUpdate> {
    return this.record(() => {
      const systolic = checkRange(input.systolic, SYSTOLIC_BP_RANGE_MMHG, 'input.systolic');
      const diastolic = checkRange(input.diastolic, DIASTOLIC_BP_RANGE_MMHG, 'input.diastolic');
      const heartRate = checkRange(input.heartRate, HEART_RATE_RANGE_BPM, 'input.heartRate');
      const temperatureC = checkRange(input.temperatureC, TEMPERATURE_RANGE_CELSIUS, 'input.temperatureC');
      if ([systolic, diastolic, heartRate, temperatureC].every((v) => v === undefined)) {
        throw BadInputError.field('input', 'Give at least one of systolic, diastolic, heartRate or temperatureC.');
      }
      if (systolic !== undefined && diastolic !== undefined && diastolic >= systolic) {
        throw BadInputError.field('input.diastolic', 'input.diastolic must be lower than input.systolic.');
      }
      return {
        patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
        infantId: null,
        kind: 'VITALS',
        recordedAt: checkRecordedAt(input.recordedAt, this.now(), 'input.recordedAt'),
        data: compact({
          systolic, diastolic, heartRate, temperatureC,
          bloodPressureCategory: systolic === undefined && diastolic === undefined ? undefined : classifyBloodPressure(systolic, diastolic),
        }),
      };
    });
  }

  logSymptoms(input: LogSymptomsInput): Promise<StoredStatusUpdate> {
    return this.record(() => {
      if (input.symptoms.length === 0) throw BadInputError.field('input.symptoms', 'input.symptoms must list at least one warning sign.');
      if (new Set(input.symptoms).size !== input.symptoms.length) {
        throw BadInputError.field('input.symptoms', 'input.symptoms must list each warning sign at most once.');
      }
      return {
        patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
        infantId: null,
        kind: 'SYMPTOMS',
        recordedAt: checkRecordedAt(input.recordedAt, this.now(), 'input.recordedAt'),
        data: compact({ symptoms: [...input.symptoms], note: checkNote(input.note, 'input.note') }),
      };
    });
  }

  submitScreening(input: SubmitScreeningInput): Promise<StoredStatusUpdate> {
    return this.record(() => {
      let scored;
      try {
        scored = scoreScreening(input.instrument, input.answers);
      } catch (err) {
        if (err instanceof ScreeningInputError) throw BadInputError.field(`input.${err.field}`, err.message);
        throw err;
      }
      return {
        patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
        infantId: null,
        kind: 'SCREENING',
        recordedAt: new Date(this.now()),
        data: {
          instrument: scored.instrument,
          answers: [...input.answers],
          items: scored.items,
          total: scored.total,
          maxTotal: scored.maxTotal,
          band: scored.band,
          selfHarmItemPositive: scored.selfHarmItemPositive,
        },
      };
    });
  }

  logFeeding(input: LogFeedingInput): Promise<StoredStatusUpdate> {
    return this.record(() => ({
      patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
      infantId: checkId(input.infantId, 'input.infantId', NotFoundError.infant),
      kind: 'FEEDING',
      recordedAt: checkRecordedAt(input.recordedAt, this.now(), 'input.recordedAt'),
      data: compact({
        method: input.method,
        durationMinutes: checkRange(input.durationMinutes, FEEDING_DURATION_RANGE_MINUTES, 'input.durationMinutes'),
        volumeMl: checkRange(input.volumeMl, FEEDING_VOLUME_RANGE_ML, 'input.volumeMl'),
        wetDiapers: checkRange(input.wetDiapers, DIAPER_COUNT_RANGE, 'input.wetDiapers'),
        dirtyDiapers: checkRange(input.dirtyDiapers, DIAPER_COUNT_RANGE, 'input.dirtyDiapers'),
      }),
    }));
  }

  logInfantVitals(input: LogInfantVitalsInput): Promise<StoredStatusUpdate> {
    return this.record(() => {
      const weightGrams = checkRange(input.weightGrams, INFANT_WEIGHT_RANGE_GRAMS, 'input.weightGrams');
      const temperatureC = checkRange(input.temperatureC, TEMPERATURE_RANGE_CELSIUS, 'input.temperatureC');
      if (weightGrams === undefined && temperatureC === undefined) {
        throw BadInputError.field('input', 'Give at least one of weightGrams or temperatureC.');
      }
      return {
        patientId: checkId(input.patientId, 'input.patientId', NotFoundError.patient),
        infantId: checkId(input.infantId, 'input.infantId', NotFoundError.infant),
        kind: 'INFANT_VITALS',
        recordedAt: checkRecordedAt(input.recordedAt, this.now(), 'input.recordedAt'),
        data: compact({ weightGrams, temperatureC }),
      };
    });
  }

  /**
   * Validates, authorises and stores one observation with its outbox event, then wakes the relay.
   * The checks and the write share one transaction: one round of the tenant wall's settings
   * instead of one per statement.
   */
  private async record(validate: () => Observation): Promise<StoredStatusUpdate> {
    const observation = validate();
    const actor = this.ctx.access.requireActor();
    const update = await this.ctx.em.transactional(async (em) => {
      // Only callers whose grant covers the kind's category may write (an ADMIN's grant covers none).
      if (!(await this.ctx.access.allows(observation.patientId, STATUS_KIND_CATEGORY[observation.kind], em))) {
        throw NotFoundError.patient('input.patientId');
      }
      if (observation.infantId !== null) {
        const infant = await em.findOne(Infant, { id: observation.infantId, tenantId: actor.tenantId, patientId: observation.patientId });
        if (!infant) throw NotFoundError.infant('input.infantId');
      }
      return insertStatusUpdate(em, actor.tenantId, actor.userId, observation);
    });
    this.ctx.services.relay.wake();
    return update;
  }
}

/** A status update as {@link insertStatusUpdate} stored it. */
export interface StoredStatusUpdate extends StatusUpdateRow {
  readonly tenantId: string;
  readonly createdAt: Date;
}

/**
 * Takes the tenant's next event cursor, then stores the update and its outbox event with it, in one
 * statement. `$8` is the update's `data`, already sealed (raw SQL bypasses the encrypting driver).
 */
const INSERT_STATUS_UPDATE = `
with "cursor" as (update "tenant" set "event_seq" = "event_seq" + 1 where "id" = $1 returning "event_seq"),
"stored" as (
  insert into "status_update" ("id", "tenant_id", "patient_id", "infant_id", "kind", "recorded_at", "recorded_by", "data", "seq", "created_at")
  select $2, $1, $3, $4, $5, $6, $7, $8, "event_seq", $9 from "cursor" returning "seq")
insert into "outbox_event" ("tenant_id", "seq", "type", "patient_id", "subject_id", "kind", "created_at")
select $1, "seq", 'STATUS_UPDATE_LOGGED', $3, $2, $5, $9 from "stored" returning "seq"`;

/**
 * Stores a status update and its outbox event inside the caller's transaction. Taking the tenant's
 * next cursor locks the tenant row until commit, so cursors become visible in order.
 *
 * One bound statement instead of the unit of work (an update and two inserts, each built by the
 * ORM): this is the write every logged observation makes. `data` is sealed here for its row, as
 * the encrypting driver would.
 */
export async function insertStatusUpdate(
  em: EntityManager,
  tenantId: string,
  recordedBy: string,
  observation: Observation,
): Promise<StoredStatusUpdate> {
  const id = crypto.randomUUID();
  const sealed = await sealForSql(em, 'StatusUpdate', 'data', { tenantId, recordId: id }, JSON.stringify(observation.data));
  const createdAt = new Date();
  const [row] = await executeBound<{ seq: string | number }>(em, INSERT_STATUS_UPDATE, [
    tenantId, id, observation.patientId, observation.infantId, observation.kind, observation.recordedAt.toISOString(), recordedBy, sealed,
    createdAt.toISOString(),
  ]);
  if (!row) throw new Error('The tenant of an authenticated caller does not exist.');
  return {
    id,
    tenantId,
    patientId: observation.patientId,
    infantId: observation.infantId,
    kind: observation.kind,
    recordedAt: observation.recordedAt,
    recordedBy,
    data: observation.data,
    seq: Number(row.seq),
    createdAt,
  };
}
