import { decideOnMatch } from './deduplication.js';
import { DAY_MS } from './history-window.js';
import { ProtocolEngine } from './engine.js';
import type { BacktestResult, EvaluationInput, ObservationFact, PatientFacts, ProtocolDefinition, Severity } from './protocol.js';

/**
 * Estimates the alert volume of a protocol definition by replaying history. Pure.
 *
 * @module
 */

/** One patient's facts and observations, as the back-test replays them. */
export interface BacktestPatient {
  readonly patient: PatientFacts;
  readonly observations: ObservationFact[];
}

/**
 * The evaluation inputs of one patient in [from, to], in time order, made one at a time. The whole
 * sorted history goes with each update: the engine's timeline leaves out the update itself and
 * everything recorded after it.
 */
function* replayInputs(definition: ProtocolDefinition, subject: BacktestPatient, from: number, to: number): Generator<EvaluationInput> {
  const observations = [...subject.observations].sort((a, b) => a.recordedAt - b.recordedAt);
  if (definition.trigger.type === 'SCHEDULED') {
    for (let now = from; now <= to; now += DAY_MS) yield { now, patient: subject.patient, update: null, history: observations };
    return;
  }
  const kinds = definition.trigger.kinds;
  for (const update of observations) {
    if (update.recordedAt >= from && update.recordedAt <= to && kinds.includes(update.kind)) {
      yield { now: update.recordedAt, patient: subject.patient, update, history: observations };
    }
  }
}

/** The running counts of a back-test. */
interface Tally {
  evaluations: number;
  alertsOpened: number;
  matchesDeduplicated: number;
  incompleteDataAlerts: number;
  patientsAffected: number;
  repages: number;
}

/** Replays every patient, yielding after each evaluation; the tally is complete when it ends. */
function* replay(definition: ProtocolDefinition, patients: readonly BacktestPatient[], from: number, to: number, engine: ProtocolEngine, tally: Tally): Generator<void> {
  for (const subject of patients) {
    let open: { severity: Severity } | null = null;
    let affected = false;
    for (const input of replayInputs(definition, subject, from, to)) {
      tally.evaluations++;
      const result = engine.evaluate(definition, input);
      if (result.actions.length > 0) {
        switch (decideOnMatch(open, result.severity)) {
          case 'OPEN_NEW':
            tally.alertsOpened++;
            if (result.incompleteData) tally.incompleteDataAlerts++;
            affected = true;
            open = { severity: result.severity };
            break;
          case 'RAISE_SEVERITY':
            open = { severity: result.severity };
            tally.repages++;
            break;
          case 'ATTACH_AND_REPAGE':
            tally.repages++;
            break;
          case 'ATTACH_EVIDENCE':
            tally.matchesDeduplicated++;
            break;
        }
      }
      yield;
    }
    if (affected) tally.patientsAffected++;
  }
}

const emptyTally = (): Tally => ({ evaluations: 0, alertsOpened: 0, matchesDeduplicated: 0, incompleteDataAlerts: 0, patientsAffected: 0, repages: 0 });

/**
 * Replays each patient's observations recorded in [from, to] (milliseconds since the epoch,
 * inclusive) through `definition`, as if each had just been logged (`now` = its `recordedAt`, with
 * everything recorded before it as history). SCHEDULED protocols are evaluated once a day at
 * `from`, `from` + 24 h, … up to `to` (not at every `everyMinutes`: an estimate, bounded in cost).
 *
 * De-duplication is simulated per patient with {@link decideOnMatch}. **Assumption:** nobody
 * resolves an alert during the replay, so once opened it stays open for the rest of the window;
 * later matches attach evidence (`matchesDeduplicated`) or, for CRITICAL protocols, page again
 * (`repages`). A firing is any evaluation with actions (a task-only protocol counts too).
 *
 * Runs to the end in one go: a server uses {@link backtestInSlices}.
 *
 * @throws InvalidDefinitionError (from the engine) for a definition `validateDefinition` refuses.
 */
export function backtest(
  definition: ProtocolDefinition,
  patients: readonly BacktestPatient[],
  from: number,
  to: number,
  engine: ProtocolEngine = new ProtocolEngine(),
): BacktestResult {
  const tally = emptyTally();
  for (const _ of replay(definition, patients, from, to, engine, tally));
  return { ...tally };
}

/** How {@link backtestInSlices} shares the event loop and when it gives up. */
export interface BacktestSlicing {
  /** A monotonic clock in milliseconds (e.g. `performance.now`). */
  readonly elapsed: () => number;
  /** Lets other work run (e.g. a `setImmediate` promise) between slices. */
  readonly pause: () => Promise<void>;
  /** Longest run of evaluations between two pauses, in milliseconds. */
  readonly sliceMs: number;
  /** Longest whole back-test, in milliseconds: past it the back-test stops with {@link BacktestTimeLimitError}. */
  readonly limitMs: number;
}

/** A back-test stopped at its time limit (nothing of the replay is kept). */
export class BacktestTimeLimitError extends Error {
  constructor(readonly limitMs: number) {
    super(`The back-test did not finish within ${limitMs} ms.`);
    this.name = 'BacktestTimeLimitError';
  }
}

/**
 * {@link backtest} in slices of at most `sliceMs` of evaluations, pausing between them so that a
 * server keeps answering other requests, and stopping with {@link BacktestTimeLimitError} once it
 * has run `limitMs` (each evaluation is bounded by its budget, so a slice overruns by at most one).
 */
export async function backtestInSlices(
  definition: ProtocolDefinition,
  patients: readonly BacktestPatient[],
  from: number,
  to: number,
  slicing: BacktestSlicing,
  engine: ProtocolEngine = new ProtocolEngine(),
): Promise<BacktestResult> {
  const tally = emptyTally();
  const started = slicing.elapsed();
  let sliceStarted = started;
  for (const _ of replay(definition, patients, from, to, engine, tally)) {
    const now = slicing.elapsed();
    if (now - started > slicing.limitMs) throw new BacktestTimeLimitError(slicing.limitMs);
    if (now - sliceStarted >= slicing.sliceMs) {
      await slicing.pause();
      sliceStarted = slicing.elapsed();
    }
  }
  return { ...tally };
}
