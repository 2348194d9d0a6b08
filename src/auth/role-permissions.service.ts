import type { RequestContext } from '../context.js';
import { CLINICAL_ROLES, RoleDataCategory, type Role } from '../db/entities/index.js';
import { BadInputError } from '../errors.js';
import { Channels } from '../realtime/event-bus.js';
import type { AccessChange } from '../realtime/live-feed.js';
import { ADMIN_PERMITTABLE_CATEGORIES, PATIENT_DATA_CATEGORIES, type DataCategory } from './data-category.js';
import { roleCategories } from './patient-grants.js';

/** The roles whose patient-data categories are data (`role_data_category`), in display order. */
export const CONFIGURABLE_ROLES = [...CLINICAL_ROLES, 'ADMIN'] as const satisfies readonly Role[];

/** One role's permissions: the patient-data categories it may read of the patients in its scope. */
export interface RolePermissions {
  readonly role: Role;
  readonly categories: readonly DataCategory[];
}

const CATEGORY_ORDER = [...PATIENT_DATA_CATEGORIES];
const sorted = (categories: Iterable<DataCategory>) => [...categories].sort((a, b) => CATEGORY_ORDER.indexOf(a) - CATEGORY_ORDER.indexOf(b));

/**
 * Reads and changes the tenant's roles-and-permissions table. A change applies to the next request
 * and, through the tenant's access channel, to open live subscriptions at once.
 */
export class RolePermissionsService {
  constructor(private readonly ctx: RequestContext) {}

  /** Every configurable role of the caller's tenant with its categories. */
  async list(): Promise<RolePermissions[]> {
    const actor = this.ctx.access.requireActor();
    const byRole = await roleCategories(this.ctx.em, actor.tenantId, CONFIGURABLE_ROLES);
    return CONFIGURABLE_ROLES.map((role) => ({ role, categories: sorted(byRole.get(role) ?? []) }));
  }

  /**
   * Replaces one role's categories. Clinical roles must keep IDENTITY (a clinician must know whom
   * she treats); ADMIN may hold only identity, contact and care-team data. Unknown roles, unknown or
   * repeated categories are bad input, and nothing changes.
   */
  async set(role: string, categories: readonly string[]): Promise<RolePermissions> {
    const actor = this.ctx.access.requireActor();
    if (!(CONFIGURABLE_ROLES as readonly string[]).includes(role)) {
      throw BadInputError.field('role', `role must be one of ${CONFIGURABLE_ROLES.join(', ')}.`);
    }
    if (new Set(categories).size !== categories.length || !categories.every((c) => PATIENT_DATA_CATEGORIES.has(c as DataCategory))) {
      throw BadInputError.field('categories', 'categories must list patient-data categories, each at most once.');
    }
    const wanted = new Set(categories as DataCategory[]);
    if (role === 'ADMIN' && ![...wanted].every((c) => ADMIN_PERMITTABLE_CATEGORIES.has(c))) {
      throw BadInputError.field('categories', `An administrator may be given only ${[...ADMIN_PERMITTABLE_CATEGORIES].join(', ')}.`);
    }
    if (role !== 'ADMIN' && !wanted.has('IDENTITY')) {
      throw BadInputError.field('categories', 'A care-team role must keep IDENTITY.');
    }
    const now = new Date(this.ctx.services.now());
    await this.ctx.em.transactional(async (em) => {
      await em.nativeDelete(RoleDataCategory, { tenantId: actor.tenantId, role });
      for (const category of wanted) {
        em.create(RoleDataCategory, { tenantId: actor.tenantId, role, category, grantedAt: now, grantedBy: actor.userId });
      }
      await em.flush();
    });
    this.ctx.access.invalidate();
    const change: AccessChange = { type: 'PERMISSIONS' };
    try {
      await this.ctx.services.bus.publish(Channels.tenantAccess(actor.tenantId), JSON.stringify(change));
    } catch (err) {
      this.ctx.logger.error({ err }, 'could not announce a permissions change on the bus');
    }
    return { role: role as Role, categories: sorted(wanted) };
  }
}
