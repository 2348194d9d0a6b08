import { Field, Float, ID, InputType, Int } from 'type-graphql';
import type { ScreeningInstrument } from '../../clinical/screening.js';
import type { WarningSign } from '../../clinical/warning-signs.js';
import { CLOCK_SKEW_MS } from '../../status/input-checks.js';
import { FeedingMethodEnum, ScreeningInstrumentEnum, WarningSignEnum, type FeedingMethod } from '../common/enums.js';

/**
 * The schema's description of every `recordedAt` input: what `checkRecordedAt` accepts, the
 * clock-skew allowance read from the same constant, so the two never differ.
 */
export const RECORDED_AT_DESCRIPTION =
  `When it was observed; defaults to the server's now. At most ${CLOCK_SKEW_MS / 60_000} minutes ahead of the server's clock (the allowance for clock skew between devices) and at most two years back; otherwise BAD_USER_INPUT on this field.`;

@InputType({ description: 'A mood rating.' })
export class LogMoodInput {
  @Field(() => ID, { description: 'The patient the observation is about.' })
  patientId!: string;

  @Field(() => Date, { nullable: true, description: RECORDED_AT_DESCRIPTION })
  recordedAt?: Date | null;

  @Field(() => Int, { description: '1 (very low) to 5 (very good).' })
  score!: number;

  @Field(() => String, { nullable: true, description: 'Free text, at most 2000 characters.' })
  note?: string | null;
}

@InputType({ description: 'One feeding of an infant, with diaper counts since the last log.' })
export class LogFeedingInput {
  @Field(() => ID, { description: 'The patient the observation is about.' })
  patientId!: string;

  @Field(() => Date, { nullable: true, description: RECORDED_AT_DESCRIPTION })
  recordedAt?: Date | null;

  @Field(() => ID)
  infantId!: string;

  @Field(() => FeedingMethodEnum)
  method!: FeedingMethod;

  @Field(() => Float, { nullable: true, description: 'Minutes, 0 to 240.' })
  durationMinutes?: number | null;

  @Field(() => Float, { nullable: true, description: 'Millilitres, 0 to 500.' })
  volumeMl?: number | null;

  @Field(() => Int, { nullable: true })
  wetDiapers?: number | null;

  @Field(() => Int, { nullable: true })
  dirtyDiapers?: number | null;
}

@InputType({ description: "The mother's sleep." })
export class LogSleepInput {
  @Field(() => ID, { description: 'The patient the observation is about.' })
  patientId!: string;

  @Field(() => Date, { nullable: true, description: RECORDED_AT_DESCRIPTION })
  recordedAt?: Date | null;

  @Field(() => Float, { description: 'Hours slept, 0 to 24.' })
  hours!: number;
}

@InputType({ description: "The mother's vital signs; at least one is required." })
export class LogVitalsInput {
  @Field(() => ID, { description: 'The patient the observation is about.' })
  patientId!: string;

  @Field(() => Date, { nullable: true, description: RECORDED_AT_DESCRIPTION })
  recordedAt?: Date | null;

  @Field(() => Float, { nullable: true, description: 'mmHg, 50 to 260.' })
  systolic?: number | null;

  @Field(() => Float, { nullable: true, description: 'mmHg, 20 to 160.' })
  diastolic?: number | null;

  @Field(() => Float, { nullable: true, description: 'Beats per minute, 20 to 250.' })
  heartRate?: number | null;

  @Field(() => Float, { nullable: true, description: 'Degrees Celsius, 30 to 45.' })
  temperatureC?: number | null;
}

@InputType({ description: "An infant's measurements; at least one is required." })
export class LogInfantVitalsInput {
  @Field(() => ID, { description: 'The patient the observation is about.' })
  patientId!: string;

  @Field(() => Date, { nullable: true, description: RECORDED_AT_DESCRIPTION })
  recordedAt?: Date | null;

  @Field(() => ID)
  infantId!: string;

  @Field(() => Float, { nullable: true, description: 'Grams, 300 to 10000.' })
  weightGrams?: number | null;

  @Field(() => Float, { nullable: true, description: 'Degrees Celsius, 30 to 45.' })
  temperatureC?: number | null;
}

@InputType({ description: 'Urgent maternal warning signs the mother reports.' })
export class LogSymptomsInput {
  @Field(() => ID, { description: 'The patient the observation is about.' })
  patientId!: string;

  @Field(() => Date, { nullable: true, description: RECORDED_AT_DESCRIPTION })
  recordedAt?: Date | null;

  @Field(() => [WarningSignEnum], { description: 'At least one, each at most once.' })
  symptoms!: WarningSign[];

  @Field(() => String, { nullable: true, description: 'Free text, at most 2000 characters.' })
  note?: string | null;
}

@InputType({ description: 'A completed screening questionnaire; the server scores it.' })
export class SubmitScreeningInput {
  @Field(() => ID)
  patientId!: string;

  @Field(() => ScreeningInstrumentEnum)
  instrument!: ScreeningInstrument;

  @Field(() => [Int], {
    description:
      "One answer per item, in item order: the answer of the chosen option as screeningInstruments lists it (its 0-based position). The server scores it by that same definition: EPDS reverse-scores items 3 and 5-10 (the first option scores 3), so choosing the first option everywhere is not a zero score; on PHQ-9 and GAD-7 the answer is the item score 0-3.",
  })
  answers!: number[];
}
