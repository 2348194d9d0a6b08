import type { RequestContext } from '../context.js';
import { Consent, Patient, StatusUpdate, type StatusKind } from '../db/entities/index.js';
import type { DataCategory } from '../auth/data-category.js';
import { asDate } from '../schema/common/dates.js';
import { BadInputError } from '../errors.js';
import { ageBand, postpartumBand, suppressSmallCells, type GroupStatistic, type ReleasedGroup } from './small-cell-suppression.js';

/** The outcome measures researchers may ask for, each from one category of data. */
export const OUTCOME_METRICS = [
  'EPDS_MEAN_TOTAL',
  'EPDS_PROBABLE_DEPRESSION_RATE',
  'PHQ9_MEAN_TOTAL',
  'PHQ9_MODERATE_OR_WORSE_RATE',
  'GAD7_MEAN_TOTAL',
  'BREASTFEEDING_RATE',
  'HYPERTENSION_RATE',
] as const;
/** One of {@link OUTCOME_METRICS}. */
export type OutcomeMetric = (typeof OUTCOME_METRICS)[number];

/** How outcome groups are formed. */
export const OUTCOME_GROUPINGS = ['NONE', 'AGE_BAND', 'POSTPARTUM_BAND'] as const;
/** One of {@link OUTCOME_GROUPINGS}. */
export type OutcomeGrouping = (typeof OUTCOME_GROUPINGS)[number];

interface MetricDefinition {
  readonly kind: StatusKind;
  readonly category: DataCategory;
  /** Whether an observation counts for the metric at all (e.g. the instrument). */
  readonly applies: (data: Record<string, unknown>) => boolean;
  /** One patient's value in a group, from her observations in it (oldest first). */
  readonly perPatient: (observations: readonly Record<string, unknown>[]) => number;
  /** `MEAN` averages the per-patient values; `RATE` is the share of patients whose value is 1. */
  readonly aggregate: 'MEAN' | 'RATE';
}

const latestTotal = (observations: readonly Record<string, unknown>[]) => Number(observations.at(-1)!['total']);
const screening = (instrument: string) => (data: Record<string, unknown>) => data['instrument'] === instrument;

const METRICS: Readonly<Record<OutcomeMetric, MetricDefinition>> = {
  EPDS_MEAN_TOTAL: { kind: 'SCREENING', category: 'MENTAL_HEALTH', applies: screening('EPDS'), perPatient: latestTotal, aggregate: 'MEAN' },
  EPDS_PROBABLE_DEPRESSION_RATE: {
    kind: 'SCREENING', category: 'MENTAL_HEALTH', applies: screening('EPDS'), perPatient: (o) => (latestTotal(o) >= 13 ? 1 : 0), aggregate: 'RATE',
  },
  PHQ9_MEAN_TOTAL: { kind: 'SCREENING', category: 'MENTAL_HEALTH', applies: screening('PHQ9'), perPatient: latestTotal, aggregate: 'MEAN' },
  PHQ9_MODERATE_OR_WORSE_RATE: {
    kind: 'SCREENING', category: 'MENTAL_HEALTH', applies: screening('PHQ9'), perPatient: (o) => (latestTotal(o) >= 10 ? 1 : 0), aggregate: 'RATE',
  },
  GAD7_MEAN_TOTAL: { kind: 'SCREENING', category: 'MENTAL_HEALTH', applies: screening('GAD7'), perPatient: latestTotal, aggregate: 'MEAN' },
  BREASTFEEDING_RATE: {
    kind: 'FEEDING', category: 'FEEDING', applies: () => true, perPatient: (o) => (o.some((d) => d['method'] === 'BREAST') ? 1 : 0), aggregate: 'RATE',
  },
  HYPERTENSION_RATE: {
    kind: 'VITALS',
    category: 'MATERNAL',
    applies: (d) => d['systolic'] !== undefined || d['diastolic'] !== undefined,
    perPatient: (o) => (o.some((d) => Number(d['systolic'] ?? 0) >= 140 || Number(d['diastolic'] ?? 0) >= 90) ? 1 : 0),
    aggregate: 'RATE',
  },
};

/** What a researcher asks about the consenting population. */
export interface CohortCriteria {
  /** Only patients whose research consent covers all of these categories. */
  readonly categories: readonly DataCategory[];
  /** Only patients who delivered within this many days before now. */
  readonly deliveredWithinDays: number | null;
}

/** An anonymised answer: groups of at least `k` people, smaller ones withheld. */
export interface AnonymisedTable {
  readonly k: number;
  readonly groups: readonly ReleasedGroup<number>[];
}

const DAY_MS = 86_400_000;

/**
 * Answers researchers with anonymised aggregates only. The population is the tenant's patients
 * with an active RESEARCH consent that covers every category a question uses (IDENTITY too when
 * grouping by age); answers are generalised (age and postpartum bands, never dates or ids) and
 * groups smaller than `k` are withheld (`small-cell-suppression.ts`). Each answer is audited with
 * purpose RESEARCH, naming how many patients it drew on, never who.
 */
export class ResearchService {
  constructor(
    private readonly ctx: RequestContext,
    private readonly k: number,
  ) {}

  /** How many consenting patients match, by maternal age band. */
  async cohort(criteria: CohortCriteria): Promise<AnonymisedTable> {
    if (criteria.deliveredWithinDays !== null && (!Number.isInteger(criteria.deliveredWithinDays) || criteria.deliveredWithinDays < 1 || criteria.deliveredWithinDays > 3650)) {
      throw BadInputError.field('criteria.deliveredWithinDays', 'criteria.deliveredWithinDays must be a whole number of days from 1 to 3650.');
    }
    const now = this.ctx.services.now();
    const patients = await this.population([...new Set<DataCategory>(['IDENTITY', ...criteria.categories])]);
    const today = new Date(now).toISOString().slice(0, 10);
    const counts = new Map<string, number>();
    for (const patient of patients) {
      if (criteria.deliveredWithinDays !== null && now - Date.parse(`${patient.deliveryDate}T00:00:00Z`) > criteria.deliveredWithinDays * DAY_MS) continue;
      const band = ageBand(patient.birthDate, today);
      counts.set(band, (counts.get(band) ?? 0) + 1);
    }
    const groups = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([group, people]) => ({ group, people, value: people }));
    return this.release('RESEARCH_COHORT', criteria.categories, groups, patients.length);
  }

  /** An outcome measure over the consenting population, grouped as asked. */
  async outcome(metric: OutcomeMetric, groupBy: OutcomeGrouping): Promise<AnonymisedTable> {
    const definition = METRICS[metric];
    const categories: DataCategory[] = groupBy === 'AGE_BAND' ? ['IDENTITY', definition.category] : [definition.category];
    const patients = await this.population(categories);
    const byId = new Map(patients.map((p) => [p.id, p]));
    const rows = byId.size === 0 ? [] : await this.ctx.em.find(
      StatusUpdate,
      { tenantId: this.tenantId(), patientId: { $in: [...byId.keys()] }, kind: definition.kind },
      { orderBy: { recordedAt: 'asc', seq: 'asc' } },
    );
    const today = new Date(this.ctx.services.now()).toISOString().slice(0, 10);
    // group → patient → her observations in the group, oldest first
    const grouped = new Map<string, Map<string, Record<string, unknown>[]>>();
    for (const row of rows) {
      if (!definition.applies(row.data)) continue;
      const patient = byId.get(row.patientId)!;
      const group =
        groupBy === 'NONE' ? 'all'
        : groupBy === 'AGE_BAND' ? ageBand(patient.birthDate, today)
        : postpartumBand(Math.floor((asDate(row.recordedAt).getTime() - Date.parse(`${patient.deliveryDate}T00:00:00Z`)) / DAY_MS));
      if (group === null) continue;
      let members = grouped.get(group);
      if (!members) grouped.set(group, (members = new Map()));
      let observations = members.get(row.patientId);
      if (!observations) members.set(row.patientId, (observations = []));
      observations.push(row.data);
    }
    const groups: GroupStatistic<number>[] = [...grouped.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([group, members]) => {
      const values = [...members.values()].map((o) => definition.perPatient(o));
      const value = values.reduce((sum, v) => sum + v, 0) / values.length;
      return { group, people: values.length, value: Math.round(value * (definition.aggregate === 'RATE' ? 1000 : 10)) / (definition.aggregate === 'RATE' ? 1000 : 10) };
    });
    return this.release(`RESEARCH_OUTCOME_${metric}`, categories, groups, patients.length);
  }

  private tenantId(): string {
    return this.ctx.access.requireActor().tenantId;
  }

  /** The tenant's patients whose active RESEARCH consent covers every one of `categories`. */
  private async population(categories: readonly DataCategory[]): Promise<Patient[]> {
    const now = new Date(this.ctx.services.now());
    const consents = await this.ctx.em.find(
      Consent,
      { tenantId: this.tenantId(), type: 'RESEARCH', revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
      { fields: ['patientId', 'categories'] },
    );
    const covered = new Map<string, Set<string>>();
    for (const consent of consents) {
      const set = covered.get(consent.patientId) ?? new Set<string>();
      for (const c of consent.categories) set.add(c);
      covered.set(consent.patientId, set);
    }
    const ids = [...covered.entries()].filter(([, set]) => categories.every((c) => set.has(c))).map(([id]) => id);
    if (ids.length === 0) return [];
    return this.ctx.em.find(Patient, { tenantId: this.tenantId(), id: { $in: ids } });
  }

  private async release(action: string, categories: readonly DataCategory[], groups: readonly GroupStatistic<number>[], population: number): Promise<AnonymisedTable> {
    const released = suppressSmallCells(groups, this.k);
    const actor = this.ctx.access.requireActor();
    await this.ctx.services.audit.append([
      {
        tenantId: actor.tenantId,
        actor: { type: 'USER', userId: actor.userId, role: actor.role, sessionId: actor.sessionId ?? null },
        patientId: null,
        action,
        fields: [...categories],
        purpose: 'RESEARCH',
        outcome: 'ALLOWED',
        requestId: this.ctx.requestId,
        clientIp: this.ctx.clientIp,
        userAgent: this.ctx.userAgent,
        details: { population, groups: released.length, suppressedGroups: released.filter((g) => g.suppressed).length, k: this.k },
      },
    ]);
    return { k: this.k, groups: released };
  }
}
