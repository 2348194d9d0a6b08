import { defineEntity, p } from '@mikro-orm/core';

/**
 * A tenant: one care organisation. Every other row belongs to exactly one tenant, and no query
 * crosses tenants. `eventSeq` is the tenant's last issued event cursor; bumping it inside the
 * writing transaction serialises writers per tenant, so cursors commit in order (see the outbox).
 */
export const TenantEntity = defineEntity({
  name: 'Tenant',
  tableName: 'tenant',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(200),
    eventSeq: p.bigint('number').default(0),
    /** Overrides of the default live-routing table: kind → care-team roles (see `realtime/relevance.ts`). */
    liveRouting: p.json<Record<string, string[]>>().nullable(),
    /** Quiet hours for non-critical pages (see `protocols/quiet-hours.ts`), or null for none. */
    quietHours: p.json<{ start: string; end: string; timeZone: string }>().nullable(),
    /** Clinicians must sign in with a TOTP second factor (see `auth/totp.service.ts`). */
    requireTotpForClinicians: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

/** A tenant row. */
export class Tenant extends TenantEntity.class {}
TenantEntity.setClass(Tenant);
