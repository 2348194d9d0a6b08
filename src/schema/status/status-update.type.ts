import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { STATUS_KIND_CATEGORY, type DataCategory } from '../../auth/data-category.js';
import type { StatusKind, StatusUpdateDeletionReason, StatusUpdate } from '../../db/entities/index.js';

/** What a view shows of a stored status update (an entity, or what a write just stored). */
export type StatusUpdateRow = Pick<StatusUpdate, 'id' | 'patientId' | 'kind' | 'recordedAt' | 'recordedBy' | 'infantId' | 'data' | 'seq'>;
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { Cursor } from '../common/cursor.js';
import { StatusKindEnum, StatusUpdateDeletionReasonEnum } from '../common/enums.js';
import { PageInfo } from '../common/page-info.type.js';
import { asDate } from '../common/dates.js';

/** One logged observation as the API shows it. Every field carries the category of its kind. */
@ObjectType('StatusUpdate', { description: 'One observation a patient (or her clinician) logged.' })
export class StatusUpdateView implements PatientOwned {
  /** Owner and category for field-level checks; not exposed. */
  readonly patientId: string;
  readonly category: DataCategory;

  @Field(() => ID)
  @Auth.category('BY_RECORD')
  readonly id: string;

  @Field(() => StatusKindEnum)
  @Auth.category('BY_RECORD')
  readonly kind: StatusKind;

  @Field(() => Date)
  @Auth.category('BY_RECORD')
  readonly recordedAt: Date;

  @Field(() => ID, { description: 'The user who logged it.' })
  @Auth.category('BY_RECORD')
  readonly recordedBy: string;

  @Field(() => ID, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly infantId: string | null;

  @Field(() => GraphQLJSONObject, { description: "The kind's values; for a screening, the server's scoring (total, items, band)." })
  @Auth.category('BY_RECORD')
  readonly data: Record<string, unknown>;

  @Field(() => String, { description: 'The tenant event cursor of this update, usable as `since` and `after`.' })
  @Auth.category('BY_RECORD')
  readonly cursor: string;

  constructor(row: StatusUpdateRow) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.kind = row.kind as StatusKind;
    this.category = STATUS_KIND_CATEGORY[this.kind];
    this.recordedAt = asDate(row.recordedAt);
    this.recordedBy = row.recordedBy;
    this.infantId = row.infantId ?? null;
    this.data = row.data;
    this.cursor = Cursor.ofSeq(row.seq);
  }
}

@ObjectType()
export class StatusUpdateEdge {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  cursor!: string;

  @Field(() => StatusUpdateView)
  @Auth.category('OPERATIONAL')
  node!: StatusUpdateView;
}

@ObjectType({ description: 'A page of status updates, newest first.' })
export class StatusUpdateConnection {
  @Field(() => [StatusUpdateEdge])
  @Auth.category('OPERATIONAL')
  edges!: StatusUpdateEdge[];

  @Field(() => PageInfo)
  @Auth.category('OPERATIONAL')
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A status update delivered live, with its cursor for resuming.' })
export class StatusUpdateEvent {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  cursor!: string;

  @Field(() => StatusUpdateView)
  @Auth.category('OPERATIONAL')
  update!: StatusUpdateView;
}

/**
 * What `deleteStatusUpdate` reports: the id, when and why. No values of the record and no patient
 * (it carries no `patientId`, so it is not patient-owned: the tombstone audit record names her).
 */
@ObjectType('StatusUpdateDeletion', { description: 'A status update deleted softly: hidden from every read, kept for the retention period.' })
export class StatusUpdateDeletionView {
  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  readonly id: string;

  @Field(() => Date)
  @Auth.category('OPERATIONAL')
  readonly deletedAt: Date;

  @Field(() => StatusUpdateDeletionReasonEnum)
  @Auth.category('OPERATIONAL')
  readonly reason: StatusUpdateDeletionReason;

  constructor(deleted: { id: string; deletedAt: Date; reason: StatusUpdateDeletionReason }) {
    this.id = deleted.id;
    this.deletedAt = deleted.deletedAt;
    this.reason = deleted.reason;
  }
}
