/**
 * The catalogue of validated screening questionnaires Cradle scores, and the
 * shape of a scored result. Facts here follow the published instruments.
 *
 * @module
 */
import { EPDS_DEFINITION } from './epds-definition.js';
import { GAD7_DEFINITION } from './gad7-definition.js';
import { PHQ9_DEFINITION } from './phq9-definition.js';
import { maxItemScore, type ScreeningDefinition } from './screening-definition.js';

/** The screening questionnaires Cradle can score. */
export type ScreeningInstrument = 'EPDS' | 'PHQ9' | 'GAD7';

/** Every {@link ScreeningInstrument}, in a stable order (for GraphQL enums and iteration). */
export const SCREENING_INSTRUMENT_NAMES: readonly ScreeningInstrument[] = Object.freeze([
  'EPDS',
  'PHQ9',
  'GAD7',
]);

/** Static facts about one screening instrument, derived from its {@link ScreeningDefinition}. */
export interface ScreeningInstrumentInfo {
  /** The instrument's published name. */
  readonly title: string;
  /** How many questions it asks; a submission must answer every one. */
  readonly itemCount: number;
  /** How many answer options each item offers; answers are 0 to `optionCount - 1`. */
  readonly optionCount: number;
  /** The highest possible total score. */
  readonly maxTotal: number;
  /** LOINC code of the questionnaire panel, used when exporting as FHIR. */
  readonly loincPanel: string;
  /**
   * The 1-based number of the item asking about thoughts of self-harm, or `null`
   * when the instrument has none. Any score above 0 on it prompts an immediate
   * risk assessment whatever the total.
   */
  readonly selfHarmItem: number | null;
}

/**
 * The published definition of every {@link ScreeningInstrument}: the one source the scorers score
 * by and the `screeningInstruments` query shows.
 */
export const SCREENING_DEFINITIONS: { readonly [I in ScreeningInstrument]: ScreeningDefinition<I> } = Object.freeze({
  EPDS: EPDS_DEFINITION,
  PHQ9: PHQ9_DEFINITION,
  GAD7: GAD7_DEFINITION,
});

function infoOf(definition: ScreeningDefinition): ScreeningInstrumentInfo {
  return Object.freeze({
    title: definition.title,
    itemCount: definition.items.length,
    optionCount: Math.max(...definition.items.map((item) => item.options.length)),
    maxTotal: definition.items.reduce((sum, item) => sum + maxItemScore(item), 0),
    loincPanel: definition.loincPanel,
    selfHarmItem: definition.items.find((item) => item.selfHarm)?.number ?? null,
  });
}

/** Static facts for every {@link ScreeningInstrument}, keyed by instrument. */
export const SCREENING_INSTRUMENTS: Readonly<Record<ScreeningInstrument, ScreeningInstrumentInfo>> = Object.freeze({
  EPDS: infoOf(EPDS_DEFINITION),
  PHQ9: infoOf(PHQ9_DEFINITION),
  GAD7: infoOf(GAD7_DEFINITION),
});

/** Severity bands of the EPDS total, lowest first. */
export const EPDS_BANDS = ['NONE', 'POSSIBLE', 'PROBABLE'] as const;
/** A severity band of the EPDS total: no, possible (>= 10) or probable (>= 13) depression. */
export type EpdsBand = (typeof EPDS_BANDS)[number];

/** Severity bands of the PHQ-9 total, lowest first. */
export const PHQ9_BANDS = ['MINIMAL', 'MILD', 'MODERATE', 'MODERATELY_SEVERE', 'SEVERE'] as const;
/** A severity band of the PHQ-9 total (cut-offs 5, 10, 15, 20). */
export type Phq9Band = (typeof PHQ9_BANDS)[number];

/** Severity bands of the GAD-7 total, lowest first. */
export const GAD7_BANDS = ['MINIMAL', 'MILD', 'MODERATE', 'SEVERE'] as const;
/** A severity band of the GAD-7 total (cut-offs 5, 10, 15). */
export type Gad7Band = (typeof GAD7_BANDS)[number];

/** Maps each instrument to the type of its severity band. */
export interface ScreeningBandOf {
  /** EPDS bands. */
  EPDS: EpdsBand;
  /** PHQ-9 bands. */
  PHQ9: Phq9Band;
  /** GAD-7 bands. */
  GAD7: Gad7Band;
}

/** A severity band of any instrument. */
export type ScreeningBand = ScreeningBandOf[ScreeningInstrument];

/**
 * A validated, scored screening. Built fresh by each scoring call, so callers
 * may keep or change it freely.
 *
 * @typeParam I - the instrument scored; narrows {@link ScoredScreening.band}.
 */
export interface ScoredScreening<I extends ScreeningInstrument = ScreeningInstrument> {
  /** The instrument that was scored. */
  readonly instrument: I;
  /** The sum of the item scores, 0 to {@link ScoredScreening.maxTotal}. */
  readonly total: number;
  /** The scored value of each item (after any reverse scoring); index 0 is item 1. */
  readonly items: number[];
  /** The highest total the instrument allows. */
  readonly maxTotal: number;
  /** The severity band the total falls in. */
  readonly band: ScreeningBandOf[I];
  /**
   * Whether the self-harm item (EPDS item 10, PHQ-9 item 9) scored above 0;
   * `null` for instruments without such an item (GAD-7). `true` calls for an
   * immediate risk assessment whatever the total.
   */
  readonly selfHarmItemPositive: boolean | null;
}
