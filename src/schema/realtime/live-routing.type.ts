import { Field, ObjectType } from 'type-graphql';
import type { ClinicalRole, StatusKind } from '../../db/entities/index.js';
import { Auth } from '../auth.directive.js';
import { CareTeamRoleEnum, StatusKindEnum } from '../common/enums.js';

/** One row of a tenant's live-routing table. */
@ObjectType('LiveRoutingRule', { description: 'Which care-team roles receive a kind of update live (within what their access allows).' })
export class LiveRoutingRuleView {
  @Field(() => StatusKindEnum)
  @Auth.category('OPERATIONAL')
  kind!: StatusKind;

  @Field(() => [CareTeamRoleEnum])
  @Auth.category('OPERATIONAL')
  roles!: ClinicalRole[];

  @Field(() => Boolean, { description: "True when the tenant uses Cradle's default for this kind." })
  @Auth.category('OPERATIONAL')
  isDefault!: boolean;
}
