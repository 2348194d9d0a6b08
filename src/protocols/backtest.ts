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

/** The evaluation inputs of one patient in [from, to], in time order. */
function replayInputs(definition: ProtocolDefinition, subject: BacktestPatient, from: number, to: number): EvaluationInput[] {
  const observations = [...subject.observations].sort((a, b) => a.recordedAt - b.recordedAt);
  if (definition.trigger.type === 'SCHEDULED') {
    const inputs: EvaluationInput[] = [];
    for (let now = from; now <= to; now += DAY_MS) {
      inputs.push({ now, patient: subject.patient, update: null, history: observations });
    }
    return inputs;
  }
  const kinds = definition.trigger.kinds;
  return observations
    .filter((o) => o.recordedAt >= from && o.recordedAt <= to && kinds.includes(o.kind))
    .map((update) => ({ now: update.recordedAt, patient: subject.patient, update, history: observations.filter((o) => o.id !== update.id) }));
}

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
 * @throws InvalidDefinitionError (from the engine) for a definition `validateDefinition` refuses.
 */
export function backtest(
  definition: ProtocolDefinition,
  patients: readonly BacktestPatient[],
  from: number,
  to: number,
  engine: ProtocolEngine = new ProtocolEngine(),
): BacktestResult {
  let evaluations = 0;
  let alertsOpened = 0;
  let matchesDeduplicated = 0;
  let incompleteDataAlerts = 0;
  let repages = 0;
  let patientsAffected = 0;
  for (const subject of patients) {
    let open: { severity: Severity } | null = null;
    let affected = false;
    for (const input of replayInputs(definition, subject, from, to)) {
      evaluations++;
      const result = engine.evaluate(definition, input);
      if (result.actions.length === 0) continue;
      switch (decideOnMatch(open, result.severity)) {
        case 'OPEN_NEW':
          alertsOpened++;
          if (result.incompleteData) incompleteDataAlerts++;
          affected = true;
          open = { severity: result.severity };
          break;
        case 'RAISE_SEVERITY':
          open = { severity: result.severity };
          repages++;
          break;
        case 'ATTACH_AND_REPAGE':
          repages++;
          break;
        case 'ATTACH_EVIDENCE':
          matchesDeduplicated++;
          break;
      }
    }
    if (affected) patientsAffected++;
  }
  return { evaluations, alertsOpened, matchesDeduplicated, incompleteDataAlerts, patientsAffected, repages };
}
