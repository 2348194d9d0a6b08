import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { AlertRecord } from '../../alerting/alert.service.js';
import type { DataCategory } from '../../auth/data-category.js';
import type { AlertHistory, AlertHistoryAction, AlertStatus } from '../../db/entities/index.js';
import type { Severity } from '../../protocols/protocol.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { Cursor } from '../common/cursor.js';
import { asDate } from '../common/dates.js';
import { AlertHistoryActionEnum, AlertStatusEnum, SeverityEnum } from '../common/enums.js';
import { PageInfo } from '../common/page-info.type.js';

/** The protocol that raised an alert, as the alert shows it. */
@ObjectType('AlertProtocol', { description: 'The protocol that raised an alert.' })
export class AlertProtocolView {
  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  id!: string;

  @Field(() => String)
  @Auth.category('OPERATIONAL')
  name!: string;
}

/**
 * An alert as the API shows it. It belongs to a patient and carries every data category its
 * condition read (a screening alert is MENTAL_HEALTH; one raised on a feed over the EPDS history is
 * FEEDING and MENTAL_HEALTH): every field needs the caller's grant for all of them (`BY_RECORD`),
 * `patient` and `evidence` follow their own rules.
 */
@ObjectType('Alert', { description: 'An alert a care protocol raised for a patient.' })
export class AlertView implements PatientOwned {
  readonly patientId: string;
  readonly recordCategories: readonly DataCategory[];
  readonly tenantId: string;

  @Field(() => ID)
  @Auth.category('BY_RECORD')
  readonly id: string;

  @Field(() => SeverityEnum)
  @Auth.category('BY_RECORD')
  readonly severity: Severity;

  @Field(() => AlertStatusEnum)
  @Auth.category('BY_RECORD')
  readonly status: AlertStatus;

  @Field(() => AlertProtocolView)
  @Auth.category('BY_RECORD')
  readonly protocol: AlertProtocolView;

  @Field(() => Int, { description: 'The number of the protocol version that raised it (alerts keep it when the protocol changes).' })
  @Auth.category('BY_RECORD')
  readonly protocolVersion: number;

  @Field(() => ID)
  @Auth.category('BY_RECORD')
  readonly protocolVersionId: string;

  @Field(() => Boolean, { description: 'Raised because a fact the rule needs was missing ("incomplete data"), not by a match.' })
  @Auth.category('BY_RECORD')
  readonly incompleteData: boolean;

  @Field(() => Int, {
    nullable: true,
    description: 'The escalation tier paged last, 1-based in chain order (the fallback tier is tiers + 1); null before any page.',
  })
  @Auth.category('BY_RECORD')
  readonly escalationTier: number | null;

  @Field(() => Int, { nullable: true, description: 'The round of the chain paged last (0 first; more with repeat).' })
  @Auth.category('BY_RECORD')
  readonly escalationRound: number | null;

  @Field(() => Date)
  @Auth.category('BY_RECORD')
  readonly openedAt: Date;

  @Field(() => ID, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly acknowledgedBy: string | null;

  @Field(() => Date, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly acknowledgedAt: Date | null;

  @Field(() => ID, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly resolvedBy: string | null;

  @Field(() => Date, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly resolvedAt: Date | null;

  @Field(() => String, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly resolutionNote: string | null;

  /** The opening event's cursor (paging of the `alerts` query). */
  readonly openedCursor: string;

  constructor(record: AlertRecord) {
    const { alert } = record;
    this.id = alert.id;
    this.tenantId = alert.tenantId;
    this.patientId = alert.patientId;
    this.recordCategories = alert.categories as DataCategory[];
    this.severity = alert.severity as Severity;
    this.status = alert.status as AlertStatus;
    this.protocol = Object.assign(new AlertProtocolView(), { id: alert.protocolId, name: record.protocolName });
    this.protocolVersion = record.versionNumber;
    this.protocolVersionId = alert.protocolVersionId;
    this.incompleteData = alert.incompleteData;
    this.escalationTier = record.escalationTier;
    this.escalationRound = record.escalationRound;
    this.openedAt = asDate(alert.openedAt);
    this.acknowledgedBy = alert.acknowledgedBy ?? null;
    this.acknowledgedAt = asDate(alert.acknowledgedAt);
    this.resolvedBy = alert.resolvedBy ?? null;
    this.resolvedAt = asDate(alert.resolvedAt);
    this.resolutionNote = alert.resolutionNote ?? null;
    this.openedCursor = Cursor.ofSeq(alert.openedSeq);
  }
}

/** One step of an alert's history. */
@ObjectType('AlertHistoryEntry', { description: 'One step in the life of an alert: what, who (and in which role), when.' })
export class AlertHistoryEntryView implements PatientOwned {
  readonly patientId: string;
  /** Its alert's categories. */
  readonly recordCategories: readonly DataCategory[];

  @Field(() => AlertHistoryActionEnum)
  @Auth.category('BY_RECORD')
  readonly action: AlertHistoryAction;

  @Field(() => ID, { nullable: true, description: 'Null when the system acted (the engine, an escalation timer).' })
  @Auth.category('BY_RECORD')
  readonly actorId: string | null;

  @Field(() => String, { nullable: true })
  @Auth.category('BY_RECORD')
  readonly actorRole: string | null;

  @Field(() => Date)
  @Auth.category('BY_RECORD')
  readonly at: Date;

  @Field(() => SeverityEnum)
  @Auth.category('BY_RECORD')
  readonly severity: Severity;

  @Field(() => Int, { nullable: true, description: 'PAGED: the step of the flattened chain.' })
  @Auth.category('BY_RECORD')
  readonly escalationStep: number | null;

  @Field(() => Int, { nullable: true, description: 'PAGED: the round of the chain.' })
  @Auth.category('BY_RECORD')
  readonly escalationRound: number | null;

  @Field(() => Int, { nullable: true, description: 'PAGED: the 0-based tier, -1 for the fallback.' })
  @Auth.category('BY_RECORD')
  readonly escalationTier: number | null;

  constructor(row: AlertHistory, categories: readonly DataCategory[]) {
    this.patientId = row.patientId;
    this.recordCategories = categories;
    this.action = row.action as AlertHistoryAction;
    this.actorId = row.actorId ?? null;
    this.actorRole = row.actorRole ?? null;
    this.at = asDate(row.at);
    this.severity = row.severity as Severity;
    this.escalationStep = row.escalationStep ?? null;
    this.escalationRound = row.escalationRound ?? null;
    this.escalationTier = row.escalationTier ?? null;
  }
}

@ObjectType()
export class AlertEdge {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  cursor!: string;

  @Field(() => AlertView)
  @Auth.category('OPERATIONAL')
  node!: AlertView;
}

@ObjectType({ description: 'A page of alerts, newest first.' })
export class AlertConnection {
  @Field(() => [AlertEdge])
  @Auth.category('OPERATIONAL')
  edges!: AlertEdge[];

  @Field(() => PageInfo)
  @Auth.category('OPERATIONAL')
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'An alert change delivered live (raised, paged, acknowledged, resolved), with its cursor for resuming.' })
export class AlertEvent {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  cursor!: string;

  @Field(() => AlertHistoryActionEnum, { description: 'What happened.' })
  @Auth.category('OPERATIONAL')
  action!: AlertHistoryAction;

  @Field(() => AlertView)
  @Auth.category('OPERATIONAL')
  alert!: AlertView;
}
