import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Simulation } from '../../alerting/simulation.service.js';
import type { Severity } from '../../protocols/protocol.js';
import { Auth } from '../auth.directive.js';
import { SeverityEnum } from '../common/enums.js';

/** One evaluated clause of a condition and its value. */
@ObjectType('SimulationTraceStep', { description: 'One evaluated clause of the condition and its value.' })
export class SimulationTraceStepView {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  expression!: string;

  @Field(() => String, { description: 'The value for people (`true`, `14`, `missing: screening.items[9]`).' })
  @Auth.category('OPERATIONAL')
  value!: string;
}

/** Estimated alert volume from replaying history. */
@ObjectType('ProtocolBacktest', { description: 'What the protocol would have done over the last `days` days of the patients in your scope.' })
export class ProtocolBacktestView {
  @Field(() => Int)
  @Auth.category('OPERATIONAL')
  days!: number;

  @Field(() => Int)
  @Auth.category('OPERATIONAL')
  evaluations!: number;

  @Field(() => Int, { description: 'Alerts that would have been opened, after de-duplication.' })
  @Auth.category('OPERATIONAL')
  alertsOpened!: number;

  @Field(() => Int, { description: 'Matches attached to an already open alert instead of paging.' })
  @Auth.category('OPERATIONAL')
  matchesDeduplicated!: number;

  @Field(() => Int)
  @Auth.category('OPERATIONAL')
  incompleteDataAlerts!: number;

  @Field(() => Int)
  @Auth.category('OPERATIONAL')
  patientsAffected!: number;
}

/**
 * What a draft protocol would do for one patient at a time: the outcome, the per-clause trace and
 * the actions that would fire. Nothing was stored. The trace quotes the patient's values, so the
 * caller must hold a grant for her (checked by the resolver).
 */
@ObjectType('ProtocolSimulation', { description: 'What a draft protocol would do; nothing was changed.' })
export class ProtocolSimulationView {
  @Field(() => Date)
  @Auth.category('OPERATIONAL')
  readonly at: Date;

  @Field(() => String, { description: 'MATCHED, NOT_MATCHED, INCOMPLETE or NOT_APPLICABLE.' })
  @Auth.category('OPERATIONAL')
  readonly outcome: string;

  @Field(() => ID, { nullable: true, description: 'The status update evaluated as the trigger.' })
  @Auth.category('OPERATIONAL')
  readonly updateId: string | null;

  @Field(() => [SimulationTraceStepView])
  @Auth.category('OPERATIONAL')
  readonly trace: SimulationTraceStepView[];

  @Field(() => [String])
  @Auth.category('OPERATIONAL')
  readonly missingFacts: string[];

  @Field(() => GraphQLJSON, { description: 'The actions that would fire.' })
  @Auth.category('OPERATIONAL')
  readonly actions: unknown;

  @Field(() => SeverityEnum)
  @Auth.category('OPERATIONAL')
  readonly severity: Severity;

  @Field(() => Boolean)
  @Auth.category('OPERATIONAL')
  readonly incompleteData: boolean;

  @Field(() => [ID])
  @Auth.category('OPERATIONAL')
  readonly evidenceIds: string[];

  @Field(() => ProtocolBacktestView, { nullable: true })
  @Auth.category('OPERATIONAL')
  readonly backtest: ProtocolBacktestView | null;

  constructor(simulation: Simulation) {
    const { result } = simulation;
    this.at = new Date(simulation.at);
    this.outcome = result.outcome;
    this.updateId = simulation.updateId;
    this.trace = result.trace.map((t) => Object.assign(new SimulationTraceStepView(), { expression: t.expression, value: t.value }));
    this.missingFacts = [...result.missingFacts];
    this.actions = result.actions;
    this.severity = result.severity;
    this.incompleteData = result.incompleteData;
    this.evidenceIds = [...result.evidenceIds];
    this.backtest = simulation.backtest ? Object.assign(new ProtocolBacktestView(), simulation.backtest) : null;
  }
}
