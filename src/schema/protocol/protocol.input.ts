import { Field, Float, ID, InputType, Int } from 'type-graphql';
import type { ClinicalRole, StatusKind } from '../../db/entities/index.js';
import type { IncompleteDataPolicy, SafetyMessageTemplate, Severity } from '../../protocols/protocol.js';
import {
  CareTeamRoleEnum, IncompleteDataPolicyEnum, ProtocolActionTypeEnum, SafetyMessageTemplateEnum, SeverityEnum, StatusKindEnum,
  type ProtocolActionType,
} from '../common/enums.js';

@InputType({ description: 'Who a tier pages: every care-team member of the patient with `role`, or the user `userId`. Give exactly one.' })
export class EscalationTargetInput {
  @Field(() => CareTeamRoleEnum, { nullable: true })
  role?: ClinicalRole | null;

  @Field(() => ID, { nullable: true })
  userId?: string | null;
}

@InputType({ description: 'One tier of an escalation chain.' })
export class EscalationTierInput {
  @Field(() => [EscalationTargetInput])
  targets!: EscalationTargetInput[];

  @Field(() => Int, { description: 'Minutes to wait for an acknowledgement before the next tier is paged (at least 1).' })
  ackTimeoutMinutes!: number;
}

@InputType({ description: 'Ordered tiers, a fallback tier paged when every tier timed out (required), and optional repeats of the whole chain.' })
export class EscalationChainInput {
  @Field(() => [EscalationTierInput])
  tiers!: EscalationTierInput[];

  @Field(() => EscalationTierInput, { nullable: true, description: 'Required: the on-call clinician.' })
  fallback?: EscalationTierInput | null;

  @Field(() => Int, { defaultValue: 0, description: 'How many more times the whole chain runs while nobody acknowledges.' })
  repeat!: number;
}

@InputType({ description: 'When a protocol is evaluated: after each update of one of `kinds`, or every `everyMinutes`. Give exactly one.' })
export class ProtocolTriggerInput {
  @Field(() => [StatusKindEnum], { nullable: true })
  kinds?: StatusKind[] | null;

  @Field(() => Int, { nullable: true })
  everyMinutes?: number | null;
}

@InputType({ description: 'What a protocol does when it matches. RAISE_ALERT takes routeTo; CREATE_TASK title, assignTo, dueInMinutes; SEND_SAFETY_MESSAGE template.' })
export class ProtocolActionInput {
  @Field(() => ProtocolActionTypeEnum)
  type!: ProtocolActionType;

  @Field(() => [CareTeamRoleEnum], { nullable: true })
  routeTo?: ClinicalRole[] | null;

  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => CareTeamRoleEnum, { nullable: true })
  assignTo?: ClinicalRole | null;

  @Field(() => Int, { nullable: true })
  dueInMinutes?: number | null;

  @Field(() => SafetyMessageTemplateEnum, { nullable: true })
  template?: SafetyMessageTemplate | null;
}

@InputType({ description: 'A whole protocol definition: a new protocol, or a draft to simulate.' })
export class ProtocolInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { defaultValue: '' })
  description!: string;

  @Field(() => ProtocolTriggerInput)
  trigger!: ProtocolTriggerInput;

  @Field(() => String, { nullable: true, description: 'Optional CEL guard: when false the protocol does not concern the input.' })
  appliesWhen?: string | null;

  @Field(() => String, { description: 'A CEL expression over the evaluation environment, type-checked to bool at save time.' })
  condition!: string;

  @Field(() => SeverityEnum)
  severity!: Severity;

  @Field(() => [ProtocolActionInput])
  actions!: ProtocolActionInput[];

  @Field(() => EscalationChainInput, { nullable: true, description: 'Required when the protocol raises an alert, and for CRITICAL protocols.' })
  escalation?: EscalationChainInput | null;

  @Field(() => IncompleteDataPolicyEnum, { defaultValue: 'RAISE_INCOMPLETE_DATA_ALERT' })
  onIncompleteData!: IncompleteDataPolicy;

  @Field(() => String, { nullable: true, description: 'The published guideline the rule follows.' })
  guideline?: string | null;

  @Field(() => String, { nullable: true, description: 'Why this version was written (kept with the version).' })
  changeNote?: string | null;
}

@InputType({ description: 'A tunable threshold of a built-in protocol.' })
export class ProtocolParameterInput {
  @Field(() => String)
  name!: string;

  @Field(() => Float)
  value!: number;
}

@InputType({
  description:
    'A new version of a protocol: the fields given replace the current version\'s. A built-in takes `parameters` (checked to be at least as strict as the baseline) and may raise its severity or change its actions and escalation, never loosen them.',
})
export class UpdateProtocolInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => ProtocolTriggerInput, { nullable: true })
  trigger?: ProtocolTriggerInput | null;

  @Field(() => String, { nullable: true })
  appliesWhen?: string | null;

  @Field(() => String, { nullable: true })
  condition?: string | null;

  @Field(() => SeverityEnum, { nullable: true })
  severity?: Severity | null;

  @Field(() => [ProtocolActionInput], { nullable: true })
  actions?: ProtocolActionInput[] | null;

  @Field(() => EscalationChainInput, { nullable: true })
  escalation?: EscalationChainInput | null;

  @Field(() => IncompleteDataPolicyEnum, { nullable: true })
  onIncompleteData?: IncompleteDataPolicy | null;

  @Field(() => String, { nullable: true })
  guideline?: string | null;

  @Field(() => [ProtocolParameterInput], { nullable: true, description: 'Built-ins only.' })
  parameters?: ProtocolParameterInput[] | null;

  @Field(() => String, { description: 'Why this version was written.' })
  changeNote!: string;

  @Field(() => Boolean, { defaultValue: true, description: 'Activate the new version at once (false keeps it as a DRAFT).' })
  activate!: boolean;
}
