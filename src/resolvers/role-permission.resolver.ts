import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { RolePermissionsService } from '../auth/role-permissions.service.js';
import type { DataCategory } from '../auth/data-category.js';
import type { RequestContext } from '../context.js';
import type { Role } from '../db/entities/index.js';
import { Auth } from '../schema/auth.directive.js';
import { ConsentCategoryEnum, RoleEnum } from '../schema/common/enums.js';
import { RolePermissionView } from '../schema/identity/role-permission.type.js';

/** Roles and permissions as data: the tenant's table of which role reads which data categories. */
@Resolver()
export class RolePermissionResolver {
  @Query(() => [RolePermissionView], { description: "The tenant's roles and permissions (ADMIN, COMPLIANCE_OFFICER)." })
  @Auth.roles(['ADMIN', 'COMPLIANCE_OFFICER'], 'OPERATIONAL')
  async rolePermissions(@Ctx() ctx: RequestContext): Promise<RolePermissionView[]> {
    return (await new RolePermissionsService(ctx).list()).map((p) => Object.assign(new RolePermissionView(), { role: p.role, categories: [...p.categories] }));
  }

  @Mutation(() => RolePermissionView, {
    description:
      "Replaces the data categories a role may read (ADMIN). Applies to the next request and to open subscriptions at once. Care-team roles keep IDENTITY; ADMIN may hold only IDENTITY, CONTACT and CARE_TEAM.",
  })
  @Auth.roles(['ADMIN'], 'OPERATIONAL')
  async setRolePermissions(
    @Arg('role', () => RoleEnum) role: Role,
    @Arg('categories', () => [ConsentCategoryEnum]) categories: DataCategory[],
    @Ctx() ctx: RequestContext,
  ): Promise<RolePermissionView> {
    const set = await new RolePermissionsService(ctx).set(role, categories);
    return Object.assign(new RolePermissionView(), { role: set.role, categories: [...set.categories] });
  }
}
