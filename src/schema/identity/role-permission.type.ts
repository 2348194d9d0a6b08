import { Field, ObjectType } from 'type-graphql';
import type { DataCategory } from '../../auth/data-category.js';
import type { Role } from '../../db/entities/index.js';
import { Auth } from '../auth.directive.js';
import { ConsentCategoryEnum, RoleEnum } from '../common/enums.js';

/** One row of the tenant's roles-and-permissions table. */
@ObjectType('RolePermission', {
  description: 'Which patient-data categories a role may read of the patients in its scope (its care-team patients; for ADMIN, the tenant).',
})
export class RolePermissionView {
  @Field(() => RoleEnum)
  @Auth.category('OPERATIONAL')
  role!: Role;

  @Field(() => [ConsentCategoryEnum])
  @Auth.category('OPERATIONAL')
  categories!: DataCategory[];
}
