import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import { isGrantActive, resolvePatientGrants, type PatientGrant } from '../auth/patient-grants.js';
import type { RequestContext } from '../context.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { backtestInSlices, BacktestTimeLimitError, type BacktestSlicing } from '../protocols/backtest.js';
import { evaluateProtocol } from '../protocols/engine.js';
import type { BacktestResult, EvaluationResult, ObservationFact, ProtocolDefinition } from '../protocols/protocol.js';
import type { ProtocolInput } from '../schema/protocol/protocol.input.js';
import { checkId } from '../status/input-checks.js';
import { loadObservations, loadPatientFacts } from './patient-facts.js';
import { definitionFromInput, requireValidDefinition } from './protocol-input.js';

/** Longest back-test window, in days. */
export const MAX_BACKTEST_DAYS = 90;

/**
 * How a back-test shares the event loop: evaluations run in slices of at most 10 ms with a pause
 * between them (so /healthz, other requests and the alerting worker keep going), and the whole
 * replay stops after 10 s with BAD_USER_INPUT on `backtestDays`.
 */
export const BACKTEST_SLICING: BacktestSlicing = Object.freeze({
  elapsed: () => performance.now(),
  pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
  sliceMs: 10,
  limitMs: 10_000,
});

/** What a dry run found: the evaluation at `at`, the update it evaluated, and the optional back-test. */
export interface Simulation {
  readonly at: number;
  readonly updateId: string | null;
  readonly result: EvaluationResult;
  readonly backtest: (BacktestResult & { readonly days: number }) | null;
}

/** Observations the caller's grant lets her read (a dry run shows nothing her access hides). */
function visible(observations: readonly ObservationFact[], grant: PatientGrant): ObservationFact[] {
  return observations.filter((o) => grant.categories.has(STATUS_KIND_CATEGORY[o.kind]));
}

/**
 * `simulateProtocol`: evaluates a draft definition against one patient's history as it stood at a
 * chosen time (the latest update of a triggering kind at or before it is the triggering update),
 * and optionally back-tests it over the last N days of every patient in the caller's scope to
 * estimate alert volume. Read-only: nothing is stored, no alert, task or message is created.
 */
export class SimulationService {
  constructor(private readonly ctx: RequestContext) {}

  async simulate(input: ProtocolInput, patientId: string, at: Date | null, backtestDays: number | null): Promise<Simulation> {
    const actor = this.ctx.access.requireActor();
    const definition = requireValidDefinition(definitionFromInput(input));
    const now = this.ctx.services.now();
    const when = at ? at.getTime() : now;
    if (Number.isNaN(when) || when > now) throw BadInputError.field('at', 'at must be a valid time, not in the future.');
    if (backtestDays !== null && (!Number.isInteger(backtestDays) || backtestDays < 1 || backtestDays > MAX_BACKTEST_DAYS)) {
      throw BadInputError.field('backtestDays', `backtestDays must be a whole number from 1 to ${MAX_BACKTEST_DAYS}.`);
    }
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    const grant = await this.ctx.access.grantFor(id);
    if (!grant || !isGrantActive(grant, now)) throw NotFoundError.patient();
    const [facts, observations] = await Promise.all([
      loadPatientFacts(this.ctx.em, actor.tenantId, [id]),
      loadObservations(this.ctx.em, actor.tenantId, [id], when),
    ]);
    const patient = facts.get(id);
    if (!patient) throw NotFoundError.patient();
    const known = visible(observations.get(id) ?? [], grant).filter((o) => o.recordedAt <= when);
    const update = this.triggeringUpdate(definition, known);
    const history = known.filter((o) => o !== update);
    const result = evaluateProtocol(definition, { now: when, patient, update, history });
    return {
      at: when,
      updateId: update?.id ?? null,
      result,
      backtest: backtestDays === null ? null : { ...(await this.backtest(definition, when, backtestDays)), days: backtestDays },
    };
  }

  /** The latest update of a kind the trigger listens to (none for scheduled protocols). */
  private triggeringUpdate(definition: ProtocolDefinition, observations: readonly ObservationFact[]): ObservationFact | null {
    if (definition.trigger.type !== 'ON_UPDATE') return null;
    const kinds = definition.trigger.kinds;
    let latest: ObservationFact | null = null;
    for (const o of observations) if (kinds.includes(o.kind) && (!latest || o.recordedAt >= latest.recordedAt)) latest = o;
    return latest;
  }

  /** Replays the last `days` days of every patient in the caller's scope through the definition. */
  private async backtest(definition: ProtocolDefinition, to: number, days: number): Promise<BacktestResult> {
    const actor = this.ctx.access.requireActor();
    const now = this.ctx.services.now();
    const grants = [...(await resolvePatientGrants(this.ctx.em, actor, now)).values()].filter((g) => isGrantActive(g, now));
    const ids = grants.map((g) => g.patientId);
    const from = to - days * 86_400_000;
    const [facts, observations] = await Promise.all([
      loadPatientFacts(this.ctx.em, actor.tenantId, ids),
      loadObservations(this.ctx.em, actor.tenantId, ids, to, { lookbackDays: days + 180 }),
    ]);
    const patients = grants.flatMap((grant) => {
      const patient = facts.get(grant.patientId);
      if (!patient) return [];
      return [{ patient, observations: visible(observations.get(grant.patientId) ?? [], grant).filter((o) => o.recordedAt <= to) }];
    });
    try {
      return await backtestInSlices(definition, patients, from, to, BACKTEST_SLICING);
    } catch (error) {
      if (error instanceof BacktestTimeLimitError) throw BadInputError.backtestTooLong(error.limitMs / 1000);
      throw error;
    }
  }
}
