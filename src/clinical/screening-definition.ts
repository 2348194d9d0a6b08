/**
 * The shape of a screening questionnaire as published: its items in order, each option with the
 * score it carries, its severity bands. One definition per instrument is the single source of
 * truth: the scorer scores by it and the `screeningInstruments` query shows it, so what a client
 * reads is what the server does.
 *
 * @module
 */
import type { ScreeningBandOf, ScreeningInstrument } from './screening-instrument.js';

/** One answer an item offers. Its position among the item's options (0-based) is what a client sends. */
export interface ScreeningOption {
  /** The option as printed on the questionnaire. */
  readonly label: string;
  /** The score the option carries, 0–3. */
  readonly score: number;
}

/** One question of a questionnaire. */
export interface ScreeningItem {
  /** 1-based, in the printed order. */
  readonly number: number;
  /** The item's wording as published. */
  readonly text: string;
  /** The options in the printed order. */
  readonly options: readonly ScreeningOption[];
  /** Whether the item asks about thoughts of self-harm (any score above 0 prompts immediate risk assessment). */
  readonly selfHarm: boolean;
}

/** A range of totals and what it means; the ranges of an instrument cover 0 to its maximum without gaps. */
export interface ScreeningBandRange<B extends string = string> {
  readonly band: B;
  /** The lowest total in the band, inclusive. */
  readonly minTotal: number;
  /** What a total in the band means, and what it calls for, with its source. */
  readonly meaning: string;
}

/** A published screening questionnaire, complete enough to present it and to score it. */
export interface ScreeningDefinition<I extends ScreeningInstrument = ScreeningInstrument> {
  readonly instrument: I;
  /** The instrument's published name. */
  readonly title: string;
  /** What the respondent is told before the items (the recall period among it). */
  readonly instructions: string;
  /** The publication that validated the instrument, to be quoted with every reproduction. */
  readonly citation: string;
  /** The terms under which the wording may be reproduced. */
  readonly licence: string;
  /** LOINC code of the questionnaire panel, used when exporting as FHIR. */
  readonly loincPanel: string;
  /** The items in the printed order. */
  readonly items: readonly ScreeningItem[];
  /** Severity bands, lowest first; the first starts at 0. */
  readonly bands: readonly ScreeningBandRange<ScreeningBandOf[I]>[];
}

/** The highest score an item can carry. */
export function maxItemScore(item: ScreeningItem): number {
  return Math.max(...item.options.map((o) => o.score));
}

/**
 * Whether an item scores down its options (3, 2, 1, 0) rather than up: the EPDS reverse-scores
 * seven of its ten items, so the first option is not always the healthiest answer.
 */
export function isReverseScored(item: ScreeningItem): boolean {
  return item.options[0]!.score > item.options[item.options.length - 1]!.score;
}

/** The band a total falls in: the last band whose lowest total it reaches. */
export function bandOf<B extends string>(bands: readonly ScreeningBandRange<B>[], total: number): B {
  let found = bands[0]!.band;
  for (const range of bands) if (total >= range.minTotal) found = range.band;
  return found;
}

/** Deep-freezes a definition, so no caller can change what the scorer scores by. */
export function frozenDefinition<I extends ScreeningInstrument>(definition: ScreeningDefinition<I>): ScreeningDefinition<I> {
  return Object.freeze({
    ...definition,
    items: Object.freeze(definition.items.map((item) => Object.freeze({ ...item, options: Object.freeze(item.options.map((o) => Object.freeze({ ...o }))) }))),
    bands: Object.freeze(definition.bands.map((b) => Object.freeze({ ...b }))),
  });
}
