import type { ClinicalRole, StatusKind } from '../db/entities/index.js';

/**
 * The shapes the protocol engine works on. The engine (`src/protocols`) is pure: it receives a
 * protocol definition, the facts of one evaluation and the clock, and returns what would happen;
 * storing protocols and alerts, running escalation timers and delivering alerts live belong to the
 * alerting service (`src/alerting`).
 */

/** How urgent an alert is. */
export const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;
/** One of {@link SEVERITIES}; later entries are more severe. */
export type Severity = (typeof SEVERITIES)[number];

/** Whether `a` is more severe than `b`. */
export function isMoreSevere(a: Severity, b: Severity): boolean {
  return SEVERITIES.indexOf(a) > SEVERITIES.indexOf(b);
}

/** Who an escalation tier pages: everyone on the patient's care team with a role, or named users. */
export type EscalationTarget =
  | { readonly type: 'ROLE'; readonly role: ClinicalRole }
  | { readonly type: 'USER'; readonly userId: string };

/** One tier of an escalation chain: who is paged, and how long they have to acknowledge. */
export interface EscalationTier {
  readonly targets: readonly EscalationTarget[];
  /** Minutes to wait for an acknowledgement before the next tier is paged; at least 1. */
  readonly ackTimeoutMinutes: number;
}

/**
 * Ordered tiers, then a fallback tier (the on-call clinician) paged when every tier timed out.
 * `repeat` runs the whole chain (tiers and fallback) again that many more times while nobody
 * acknowledges.
 */
export interface EscalationChain {
  readonly tiers: readonly EscalationTier[];
  readonly fallback: EscalationTier;
  readonly repeat: number;
}

/** Templated messages the engine may send a patient; the text lives in the template, never in a rule. */
export const SAFETY_MESSAGE_TEMPLATES = ['CRISIS_LINE', 'URGENT_CARE_ADVICE', 'CARE_TEAM_WILL_CALL'] as const;
/** One of {@link SAFETY_MESSAGE_TEMPLATES}. */
export type SafetyMessageTemplate = (typeof SAFETY_MESSAGE_TEMPLATES)[number];

/** What a protocol does when its condition matches. */
export type ProtocolAction =
  /** Raise an alert at the protocol's severity, shown to these care-team roles (and paged through the escalation chain). */
  | { readonly type: 'RAISE_ALERT'; readonly routeTo: readonly ClinicalRole[] }
  /** Create a follow-up task for a care-team role, due this many minutes after the match. */
  | { readonly type: 'CREATE_TASK'; readonly title: string; readonly assignTo: ClinicalRole; readonly dueInMinutes: number }
  /** Send the patient a templated safety message. */
  | { readonly type: 'SEND_SAFETY_MESSAGE'; readonly template: SafetyMessageTemplate };

/**
 * What happens when a fact the condition needs is missing (an unanswered item, no history, an
 * unknown infant age). Never silently false: the default raises an "incomplete data" alert.
 * `EVALUATE_AS_MATCH` treats the rule as matched; `SKIP` must be chosen explicitly and is refused
 * for critical protocols.
 */
export const INCOMPLETE_DATA_POLICIES = ['RAISE_INCOMPLETE_DATA_ALERT', 'EVALUATE_AS_MATCH', 'SKIP'] as const;
/** One of {@link INCOMPLETE_DATA_POLICIES}. */
export type IncompleteDataPolicy = (typeof INCOMPLETE_DATA_POLICIES)[number];

/**
 * When a protocol is evaluated: after each committed update of one of `kinds`, or on a schedule
 * (every `everyMinutes`, for rules about absence such as a missed check-in).
 */
export type ProtocolTrigger =
  | { readonly type: 'ON_UPDATE'; readonly kinds: readonly StatusKind[] }
  | { readonly type: 'SCHEDULED'; readonly everyMinutes: number };

/** Everything that defines one immutable protocol version. */
export interface ProtocolDefinition {
  readonly name: string;
  readonly description: string;
  readonly trigger: ProtocolTrigger;
  /**
   * An optional CEL guard: when it is false (or cannot be decided), the protocol does not concern
   * this input (NOT_APPLICABLE, nothing fires). E.g. the blood-pressure rule applies only to vitals
   * that carry a pressure. Declared explicitly, so absence never hides inside the condition.
   */
  readonly appliesWhen: string | null;
  /** A CEL expression over the evaluation environment; must type-check to bool. */
  readonly condition: string;
  readonly severity: Severity;
  readonly actions: readonly ProtocolAction[];
  /** Required when an action raises an alert; required for CRITICAL protocols. */
  readonly escalation: EscalationChain | null;
  readonly onIncompleteData: IncompleteDataPolicy;
  /** The published guideline the rule follows (e.g. "ACOG CO 767"), shown to clinicians and auditors. */
  readonly guideline: string | null;
}

/** One recorded observation, as the engine sees it (decrypted, typed payload). */
export interface ObservationFact {
  readonly id: string;
  readonly kind: StatusKind;
  /** Milliseconds since the epoch. */
  readonly recordedAt: number;
  readonly infantId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** What the engine knows about the patient at evaluation time. */
export interface PatientFacts {
  readonly patientId: string;
  /** ISO date (YYYY-MM-DD) of delivery. */
  readonly deliveryDate: string;
  readonly infants: readonly { readonly id: string; readonly birthDate: string; readonly birthWeightGrams: number }[];
}

/** The inputs of one evaluation. */
export interface EvaluationInput {
  /** The clock, milliseconds since the epoch. */
  readonly now: number;
  readonly patient: PatientFacts;
  /** The update that triggered the evaluation; null for scheduled evaluations. */
  readonly update: ObservationFact | null;
  /** The patient's earlier observations (the triggering one excluded), any order. */
  readonly history: readonly ObservationFact[];
}

/** One step of the trace of an evaluation, for `simulateProtocol` and for the alert's explanation. */
export interface TraceStep {
  /** The sub-expression evaluated (a top-level clause of the condition, or the whole of it). */
  readonly expression: string;
  /** Its value rendered for people (`true`, `14`, `missing: screening.items[9]`). */
  readonly value: string;
}

/** The result of evaluating one protocol version against one input. Pure data; nothing happened yet. */
export interface EvaluationResult {
  /** MATCHED: the condition held. INCOMPLETE: a needed fact was missing. NOT_APPLICABLE: the trigger does not concern this input. */
  readonly outcome: 'MATCHED' | 'NOT_MATCHED' | 'INCOMPLETE' | 'NOT_APPLICABLE';
  readonly trace: readonly TraceStep[];
  /** The facts that were missing (e.g. `screening.items[9]`), when INCOMPLETE. */
  readonly missingFacts: readonly string[];
  /** What would fire: the protocol's actions on MATCHED, the incomplete-data policy's on INCOMPLETE, none otherwise. */
  readonly actions: readonly ProtocolAction[];
  /** The severity of the alert that would be raised (CRITICAL protocols raise incomplete-data alerts as CRITICAL). */
  readonly severity: Severity;
  /** Whether the alert, if any, is an "incomplete data" alert rather than a match. */
  readonly incompleteData: boolean;
  /** Ids of the observations the evaluation relied on (the update and any history the windows used). */
  readonly evidenceIds: readonly string[];
  /** Set when an evaluation was stopped by its run-time budget (INCOMPLETE, with an incomplete-data alert). */
  readonly budgetExceeded?: boolean;
}

/** A problem with a protocol definition, for `BAD_USER_INPUT` with `field`. */
export interface DefinitionProblem {
  /** The input path at fault, e.g. `input.condition`, `input.escalation.fallback`. */
  readonly field: string;
  readonly message: string;
  /** For CEL errors: 1-based line and column in the condition. */
  readonly position?: { readonly line: number; readonly column: number };
}

/** A tunable threshold of a built-in protocol, and which direction makes the rule stricter. */
export interface BuiltInParameter {
  readonly value: number;
  /** `LOWER`: a lower value fires more often (a score cut-off); `HIGHER`: a higher value does (a look-back in days). */
  readonly tighterWhen: 'LOWER' | 'HIGHER';
  readonly description: string;
  /** Whether only whole numbers are accepted (day and hour counts, diaper counts). */
  readonly integer?: boolean;
  /** The lowest and highest value that still makes clinical sense, inclusive (a sanity bound, not a tightening rule). */
  readonly min?: number;
  readonly max?: number;
}

/**
 * A protocol of the built-in library, installed for every tenant as a locked baseline: a
 * coordinator may tighten its parameters, raise its severity and shorten or extend its escalation,
 * but never loosen, lower or disable it.
 */
export interface BuiltInProtocol {
  /** Stable key, e.g. `epds-self-harm`. */
  readonly key: string;
  readonly parameters: Readonly<Record<string, BuiltInParameter>>;
  /**
   * Keys of built-ins that this one makes redundant when both match the same update (see
   * `withoutSuperseded`): the superseded one raises nothing for it.
   */
  readonly supersedes?: readonly string[];
  /** The definition for a set of parameter values (the baseline is `build` of the defaults). */
  build(parameters: Readonly<Record<string, number>>): ProtocolDefinition;
}

/*
 * Engine API (implemented in this folder; the alerting service in `src/alerting` calls only these):
 *
 * - `validateDefinition(definition: ProtocolDefinition, field = 'input'): DefinitionProblem[]`
 *   (`definition-check.ts`): CEL parse/type errors with positions, cost limit, escalation rules
 *   (fallback required, no zero timeouts, CRITICAL needs an escalation chain, SKIP refused for CRITICAL).
 * - `evaluateProtocol(definition: ProtocolDefinition, input: EvaluationInput): EvaluationResult`
 *   (`engine.ts`): compiles (cached by expression) and evaluates; never throws for missing facts.
 * - `BUILT_IN_PROTOCOLS: readonly BuiltInProtocol[]` and
 *   `checkTightening(builtIn: BuiltInProtocol, parameters: Record<string, number>, proposed: ProtocolDefinition): DefinitionProblem[]`
 *   (`built-in/index.ts`).
 * - `escalationSteps(chain: EscalationChain): EscalationStep[]` (`escalation.ts`): the chain flattened
 *   in paging order (tiers, then fallback, times `repeat + 1`).
 * - `decideOnMatch(open: { severity: Severity } | null, severity: Severity): MatchDecision` (`deduplication.ts`).
 * - `backtest(definition, patients: { patient: PatientFacts; observations: ObservationFact[] }[], from: number, to: number): BacktestResult` (`backtest.ts`).
 */

/** One page of an escalation: which tier, in which round, and how long it waits for an acknowledgement. */
export interface EscalationStep {
  readonly round: number;
  /** Index into `tiers`, or -1 for the fallback tier. */
  readonly tierIndex: number;
  readonly isFallback: boolean;
  readonly tier: EscalationTier;
}

/**
 * What to do when a protocol matches for a patient: open a new alert (none open), attach the
 * evidence to the open alert without paging again, raise the open alert's severity (and page), or
 * attach and page again (a repeated CRITICAL match is never suppressed).
 */
export type MatchDecision = 'OPEN_NEW' | 'ATTACH_EVIDENCE' | 'RAISE_SEVERITY' | 'ATTACH_AND_REPAGE';

/** An estimate of alert volume from replaying history through a definition. */
export interface BacktestResult {
  readonly evaluations: number;
  /** Alerts that would have been opened (after de-duplication). */
  readonly alertsOpened: number;
  /** Matches attached to an already open alert instead of paging. */
  readonly matchesDeduplicated: number;
  readonly incompleteDataAlerts: number;
  readonly patientsAffected: number;
  /** Repeated CRITICAL matches that would page again (never suppressed); set by `backtest`. */
  readonly repages?: number;
}
