import { Field, Int, ObjectType } from 'type-graphql';
import {
  isReverseScored,
  type ScreeningBandRange,
  type ScreeningDefinition,
  type ScreeningInstrument,
  type ScreeningItem,
  type ScreeningOption,
} from '../../clinical/screening.js';
import { SAFETY_MESSAGE_TEXT } from '../alert/safety-message.type.js';
import { Auth } from '../auth.directive.js';
import { ScreeningInstrumentEnum } from '../common/enums.js';

/** One answer a screening item offers, and what the server scores it. */
@ObjectType('ScreeningOption', { description: 'One answer a screening item offers, in the printed order, and what the server scores it.' })
export class ScreeningOptionView {
  @Field(() => Int, { description: "What to send in submitScreening's answers for this option: its 0-based position among the item's options." })
  @Auth.category('OPERATIONAL')
  readonly answer: number;

  @Field(() => String, { nullable: true, description: "The option as printed; null where the instrument's licence does not allow reproducing it." })
  @Auth.category('OPERATIONAL')
  readonly label: string | null;

  @Field(() => Int, { description: 'The score the server gives this option (EPDS reverse-scored items give the first option 3).' })
  @Auth.category('OPERATIONAL')
  readonly score: number;

  constructor(option: ScreeningOption, position: number) {
    this.answer = position;
    this.label = option.label;
    this.score = option.score;
  }
}

/** One question of a screening instrument. */
@ObjectType('ScreeningItem', { description: 'One question of a screening instrument.' })
export class ScreeningItemView {
  @Field(() => Int, { description: '1-based, in the printed order; answers[number - 1] answers it.' })
  @Auth.category('OPERATIONAL')
  readonly number: number;

  @Field(() => String, { nullable: true, description: "The item's published wording; null where the instrument's licence does not allow reproducing it." })
  @Auth.category('OPERATIONAL')
  readonly text: string | null;

  @Field(() => [ScreeningOptionView], { description: 'The options in the printed order.' })
  @Auth.category('OPERATIONAL')
  readonly options: ScreeningOptionView[];

  @Field(() => Boolean, { description: 'Whether the scores run 3, 2, 1, 0 down the options (EPDS items 3 and 5-10).' })
  @Auth.category('OPERATIONAL')
  readonly reverseScored: boolean;

  @Field(() => Boolean, { description: 'Whether this is the self-harm item: any score above 0 on it pages for an immediate risk assessment, whatever the total.' })
  @Auth.category('OPERATIONAL')
  readonly selfHarm: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'On the self-harm item: the crisis resources to show the respondent as soon as she chooses an option scoring above 0, before she submits (the text of the CRISIS_LINE safety message the protocols send); null on other items.',
  })
  @Auth.category('OPERATIONAL')
  readonly safetyMessage: string | null;

  constructor(item: ScreeningItem) {
    this.number = item.number;
    this.text = item.text;
    this.options = item.options.map((option, position) => new ScreeningOptionView(option, position));
    this.reverseScored = isReverseScored(item);
    this.selfHarm = item.selfHarm;
    this.safetyMessage = item.selfHarm ? SAFETY_MESSAGE_TEXT.CRISIS_LINE : null;
  }
}

/** A range of totals and what it means (the instrument's cut-offs). */
@ObjectType('ScreeningBandRange', { description: "A range of totals and what it means: the instrument's cut-offs." })
export class ScreeningBandRangeView {
  @Field(() => String, { description: 'The band a scored screening reports in its data (e.g. PROBABLE).' })
  @Auth.category('OPERATIONAL')
  readonly band: string;

  @Field(() => Int, { description: 'The lowest total in the band, inclusive.' })
  @Auth.category('OPERATIONAL')
  readonly minTotal: number;

  @Field(() => Int, { description: 'The highest total in the band, inclusive.' })
  @Auth.category('OPERATIONAL')
  readonly maxTotal: number;

  @Field(() => String, { description: 'What a total in the band means and calls for, with its source.' })
  @Auth.category('OPERATIONAL')
  readonly meaning: string;

  constructor(range: ScreeningBandRange, maxTotal: number) {
    this.band = range.band;
    this.minTotal = range.minTotal;
    this.maxTotal = maxTotal;
    this.meaning = range.meaning;
  }
}

/** A screening questionnaire as published: what to show a patient, and how the server scores it. */
@ObjectType('ScreeningInstrumentDefinition', {
  description:
    'A screening questionnaire as published: its items in order, each option and its score, its cut-offs. The server scores submitScreening by this same definition. Not patient data.',
})
export class ScreeningInstrumentDefinitionView {
  @Field(() => ScreeningInstrumentEnum, { description: 'The value submitScreening takes as instrument.' })
  @Auth.category('OPERATIONAL')
  readonly id: ScreeningInstrument;

  @Field(() => String, { description: "The instrument's published name." })
  @Auth.category('OPERATIONAL')
  readonly name: string;

  @Field(() => String, { description: 'What the respondent is told before the items, the recall period among it.' })
  @Auth.category('OPERATIONAL')
  readonly instructions: string;

  @Field(() => String, { description: 'The source publication; quote it wherever the wording is shown.' })
  @Auth.category('OPERATIONAL')
  readonly citation: string;

  @Field(() => String, { description: 'The terms under which the wording may be reproduced.' })
  @Auth.category('OPERATIONAL')
  readonly licence: string;

  @Field(() => String, { description: 'LOINC code of the questionnaire panel.' })
  @Auth.category('OPERATIONAL')
  readonly loincPanel: string;

  @Field(() => Int, { description: 'The highest possible total.' })
  @Auth.category('OPERATIONAL')
  readonly maxTotal: number;

  @Field(() => Int, { nullable: true, description: 'The number of the self-harm item; null when the instrument has none (GAD-7).' })
  @Auth.category('OPERATIONAL')
  readonly selfHarmItem: number | null;

  @Field(() => [ScreeningItemView], { description: 'The items in the printed order; submitScreening takes one answer per item, in this order.' })
  @Auth.category('OPERATIONAL')
  readonly items: ScreeningItemView[];

  @Field(() => [ScreeningBandRangeView], { description: 'The severity bands, lowest first, covering 0 to maxTotal.' })
  @Auth.category('OPERATIONAL')
  readonly bands: ScreeningBandRangeView[];

  constructor(definition: ScreeningDefinition, maxTotal: number) {
    this.id = definition.instrument;
    this.name = definition.title;
    this.instructions = definition.instructions;
    this.citation = definition.citation;
    this.licence = definition.licence;
    this.loincPanel = definition.loincPanel;
    this.maxTotal = maxTotal;
    this.selfHarmItem = definition.items.find((item) => item.selfHarm)?.number ?? null;
    this.items = definition.items.map((item) => new ScreeningItemView(item));
    this.bands = definition.bands.map((range, i) => new ScreeningBandRangeView(range, (definition.bands[i + 1]?.minTotal ?? maxTotal + 1) - 1));
  }
}
