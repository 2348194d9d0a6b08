import { defineEntity, p } from '@mikro-orm/core';

/**
 * Roles and permissions as data: one row per (tenant, role, data category) the role may read of the
 * patients it is assigned to (care-team roles) or administers (ADMIN). Every new tenant receives
 * the default model from a database trigger (see the role-permissions migration); an ADMIN may
 * change it with `setRolePermissions`. Break-glass, the patient's own access and the roles that
 * never see records (RESEARCHER, COMPLIANCE_OFFICER) are fixed in code, not here.
 */
export const RoleDataCategoryEntity = defineEntity({
  name: 'RoleDataCategory',
  tableName: 'role_data_category',
  properties: {
    tenantId: p.uuid().primary(),
    role: p.string().primary().columnType('text'),
    category: p.string().primary().columnType('text'),
    grantedAt: p.datetime(),
    /** Who set it; null for the defaults installed with the tenant. */
    grantedBy: p.uuid().nullable(),
  },
});

/** A role-permission row. */
export class RoleDataCategory extends RoleDataCategoryEntity.class {}
RoleDataCategoryEntity.setClass(RoleDataCategory);
