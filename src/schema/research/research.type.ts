import { Field, InputType, Int, ObjectType, registerEnumType, Float } from 'type-graphql';
import type { DataCategory } from '../../auth/data-category.js';
import { OUTCOME_GROUPINGS, OUTCOME_METRICS, type OutcomeGrouping, type OutcomeMetric } from '../../research/research.service.js';
import { Auth } from '../auth.directive.js';
import { ConsentCategoryEnum } from '../common/enums.js';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;
/** GraphQL enum of the outcome measures. */
export const OutcomeMetricEnum = enumOf(OUTCOME_METRICS);
/** GraphQL enum of the groupings. */
export const OutcomeGroupingEnum = enumOf(OUTCOME_GROUPINGS);
registerEnumType(OutcomeMetricEnum, {
  name: 'OutcomeMetric',
  description: 'An outcome measure: mean screening totals (each patient counted once per group, by her latest) or shares of patients.',
});
registerEnumType(OutcomeGroupingEnum, { name: 'OutcomeGrouping', description: 'How outcome groups are formed: one group, maternal age bands, or postpartum-week bands.' });

/** What a researcher asks about the consenting population. */
@InputType('ResearchCohortCriteria')
export class ResearchCohortCriteria {
  @Field(() => [ConsentCategoryEnum], { description: "Only patients whose research consent covers all of these (IDENTITY is always required, for the age band)." })
  categories!: DataCategory[];

  @Field(() => Int, { nullable: true, description: 'Only patients who delivered within this many days.' })
  deliveredWithinDays?: number | null;
}

/** The outcome question. */
@InputType('OutcomeMetricsCriteria')
export class OutcomeMetricsCriteria {
  @Field(() => OutcomeMetricEnum)
  metric!: OutcomeMetric;

  @Field(() => OutcomeGroupingEnum, { defaultValue: 'NONE' })
  groupBy!: OutcomeGrouping;
}

/** One released group: a generalised label, and its size and value unless withheld. */
@ObjectType('AnonymisedGroup', { description: 'A group of at least k consenting patients; smaller groups show only that they were withheld.' })
export class AnonymisedGroupView {
  @Field(() => String, { description: 'A generalised label (an age band, a postpartum band, or "all"); never an identifier or a date.' })
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  group!: string;

  @Field(() => Int, { name: 'patients', nullable: true, description: 'How many patients the group holds; null when withheld.' })
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  people!: number | null;

  @Field(() => Float, { nullable: true, description: 'The measure (a mean or a share from 0 to 1); null when withheld.' })
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  value!: number | null;

  @Field(() => Boolean)
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  suppressed!: boolean;
}

/** An anonymised table. */
@ObjectType('AnonymisedTable', { description: 'Anonymised aggregates over consenting patients, with small groups withheld.' })
export class AnonymisedTableView {
  @Field(() => Int, { description: 'The minimum group size shown (k).' })
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  k!: number;

  @Field(() => [AnonymisedGroupView])
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  groups!: AnonymisedGroupView[];
}
