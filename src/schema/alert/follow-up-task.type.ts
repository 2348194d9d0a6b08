import { Field, ID, ObjectType } from 'type-graphql';
import type { DataCategory } from '../../auth/data-category.js';
import type { FollowUpTask, FollowUpTaskStatus } from '../../db/entities/index.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { Cursor } from '../common/cursor.js';
import { asDate } from '../common/dates.js';
import { CareTeamRoleEnum, FollowUpTaskStatusEnum } from '../common/enums.js';
import { PageInfo } from '../common/page-info.type.js';

/**
 * A follow-up task as the API shows it. It belongs to a patient and carries the data categories of
 * the match that created it (its alert's: a screening task is MENTAL_HEALTH): every field needs the
 * caller's grant for all of them (`BY_RECORD`, audited as PHI access), `patient` follows the
 * patient rules.
 */
@ObjectType('FollowUpTask', { description: 'A task a care protocol created for a care-team role (e.g. an outreach call), due at a time.' })
export class FollowUpTaskView implements PatientOwned {
  readonly patientId: string;
  readonly recordCategories: readonly DataCategory[];

  @Field(() => ID)
  @Auth.category('BY_RECORD')
  readonly id: string;

  @Field(() => String, { description: "What to do (the protocol's wording)." })
  @Auth.category('BY_RECORD')
  readonly title: string;

  @Field(() => CareTeamRoleEnum, { description: 'The care-team role the task is for.' })
  @Auth.category('BY_RECORD')
  readonly assignedRole: string;

  @Field(() => FollowUpTaskStatusEnum)
  @Auth.category('BY_RECORD')
  readonly status: FollowUpTaskStatus;

  @Field(() => Date)
  @Auth.category('BY_RECORD')
  readonly dueAt: Date;

  @Field(() => Date)
  @Auth.category('BY_RECORD')
  readonly createdAt: Date;

  @Field(() => ID, { description: 'The protocol that created it.' })
  @Auth.category('BY_RECORD')
  readonly protocolId: string;

  @Field(() => ID, { nullable: true, description: 'The alert raised with it, if any.' })
  @Auth.category('BY_RECORD')
  readonly alertId: string | null;

  @Field(() => Date, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly completedAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'The user who completed it.' })
  @Auth.category('BY_RECORD')
  readonly completedBy: string | null;

  @Field(() => String, { nullable: true, description: 'The note given on completion.' })
  @Auth.category('BY_RECORD')
  readonly completionNote: string | null;

  /** Opaque position of the task in the due-time order. */
  readonly cursor: string;

  constructor(row: FollowUpTask) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.recordCategories = row.categories as DataCategory[];
    this.title = row.title;
    this.assignedRole = row.assignedRole;
    this.status = row.status as FollowUpTaskStatus;
    this.dueAt = asDate(row.dueAt);
    this.createdAt = asDate(row.createdAt);
    this.protocolId = row.protocolId;
    this.alertId = row.alertId ?? null;
    this.completedAt = row.completedAt ? asDate(row.completedAt) : null;
    this.completedBy = row.completedBy ?? null;
    this.completionNote = row.completionNote ?? null;
    this.cursor = Cursor.ofTimeAndId(this.dueAt.getTime(), row.id);
  }
}

@ObjectType()
export class FollowUpTaskEdge {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  cursor!: string;

  @Field(() => FollowUpTaskView)
  @Auth.category('OPERATIONAL')
  node!: FollowUpTaskView;
}

@ObjectType({ description: 'A page of follow-up tasks, soonest due first.' })
export class FollowUpTaskConnection {
  @Field(() => [FollowUpTaskEdge])
  @Auth.category('OPERATIONAL')
  edges!: FollowUpTaskEdge[];

  @Field(() => PageInfo)
  @Auth.category('OPERATIONAL')
  pageInfo!: PageInfo;
}
