import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Protocol, ProtocolVersion, ProtocolVersionStatus } from '../../db/entities/index.js';
import type { IncompleteDataPolicy, ProtocolDefinition, Severity } from '../../protocols/protocol.js';
import { Auth } from '../auth.directive.js';
import { asDate } from '../common/dates.js';
import { IncompleteDataPolicyEnum, ProtocolVersionStatusEnum, SeverityEnum } from '../common/enums.js';

/** One immutable version of a protocol, as coordinators and clinicians see it. No patient data. */
@ObjectType('ProtocolVersion', { description: 'One immutable version of a care protocol.' })
export class ProtocolVersionView {
  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  readonly id: string;

  @Field(() => Int)
  @Auth.category('OPERATIONAL')
  readonly number: number;

  @Field(() => ProtocolVersionStatusEnum)
  @Auth.category('OPERATIONAL')
  readonly status: ProtocolVersionStatus;

  @Field(() => String)
  @Auth.category('OPERATIONAL')
  readonly name: string;

  @Field(() => String)
  @Auth.category('OPERATIONAL')
  readonly description: string;

  @Field(() => GraphQLJSONObject, { description: '{ type: ON_UPDATE, kinds } or { type: SCHEDULED, everyMinutes }.' })
  @Auth.category('OPERATIONAL')
  readonly trigger: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  @Auth.category('OPERATIONAL')
  readonly appliesWhen: string | null;

  @Field(() => String, { description: 'The CEL condition.' })
  @Auth.category('OPERATIONAL')
  readonly condition: string;

  @Field(() => SeverityEnum)
  @Auth.category('OPERATIONAL')
  readonly severity: Severity;

  @Field(() => GraphQLJSON, { description: 'The actions (RAISE_ALERT, CREATE_TASK, SEND_SAFETY_MESSAGE) with their settings.' })
  @Auth.category('OPERATIONAL')
  readonly actions: unknown;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The escalation chain: tiers, fallback, repeat.' })
  @Auth.category('OPERATIONAL')
  readonly escalation: Record<string, unknown> | null;

  @Field(() => IncompleteDataPolicyEnum)
  @Auth.category('OPERATIONAL')
  readonly onIncompleteData: IncompleteDataPolicy;

  @Field(() => String, { nullable: true })
  @Auth.category('OPERATIONAL')
  readonly guideline: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Built-ins: the parameter values this version was built from.' })
  @Auth.category('OPERATIONAL')
  readonly parameters: Record<string, number> | null;

  @Field(() => ID, { nullable: true, description: 'Who wrote it; null for the built-in baseline.' })
  @Auth.category('OPERATIONAL')
  readonly authorId: string | null;

  @Field(() => String)
  @Auth.category('OPERATIONAL')
  readonly changeNote: string;

  @Field(() => Date)
  @Auth.category('OPERATIONAL')
  readonly createdAt: Date;

  constructor(row: ProtocolVersion) {
    const definition = row.definition as unknown as ProtocolDefinition;
    this.id = row.id;
    this.number = row.number;
    this.status = row.status as ProtocolVersionStatus;
    this.name = definition.name;
    this.description = definition.description;
    this.trigger = { ...definition.trigger };
    this.appliesWhen = definition.appliesWhen ?? null;
    this.condition = definition.condition;
    this.severity = definition.severity;
    this.actions = definition.actions;
    this.escalation = definition.escalation ? { ...definition.escalation } : null;
    this.onIncompleteData = definition.onIncompleteData;
    this.guideline = definition.guideline ?? null;
    this.parameters = row.parameters ?? null;
    this.authorId = row.authorId ?? null;
    this.changeNote = row.changeNote;
    this.createdAt = asDate(row.createdAt);
  }
}

/** A care protocol: a stable id, its active version and its history of versions. */
@ObjectType('Protocol', { description: 'A care protocol: a stable id with immutable versions.' })
export class ProtocolView {
  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  readonly id: string;

  @Field(() => String, { description: 'The active version\'s name (or the latest version\'s).' })
  @Auth.category('OPERATIONAL')
  readonly name: string;

  @Field(() => String, { nullable: true, description: 'The built-in library key; null for custom protocols.' })
  @Auth.category('OPERATIONAL')
  readonly builtInKey: string | null;

  @Field(() => Boolean, { description: 'Built-ins are locked baselines: they can be tightened but never disabled.' })
  @Auth.category('OPERATIONAL')
  readonly builtIn: boolean;

  @Field(() => Boolean)
  @Auth.category('OPERATIONAL')
  readonly enabled: boolean;

  @Field(() => ProtocolVersionView, { nullable: true })
  @Auth.category('OPERATIONAL')
  readonly activeVersion: ProtocolVersionView | null;

  @Field(() => [ProtocolVersionView], { description: 'Every version, newest first.' })
  @Auth.category('OPERATIONAL')
  readonly versions: ProtocolVersionView[];

  constructor(row: Protocol, versions: readonly ProtocolVersion[]) {
    this.id = row.id;
    this.builtInKey = row.builtInKey ?? null;
    this.builtIn = this.builtInKey !== null;
    this.enabled = row.enabled;
    this.versions = versions.map((v) => new ProtocolVersionView(v));
    this.activeVersion = this.versions.find((v) => v.id === row.activeVersionId) ?? null;
    this.name = (this.activeVersion ?? this.versions[0])?.name ?? '';
  }
}
