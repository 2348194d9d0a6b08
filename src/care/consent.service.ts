import type { RequestContext } from '../context.js';
import { Consent } from '../db/entities/index.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { Channels } from '../realtime/event-bus.js';
import type { AccessChange } from '../realtime/live-feed.js';
import type { GrantConsentInput } from '../schema/care/consent.type.js';
import { checkId, checkText } from '../status/input-checks.js';

/**
 * Consents are the patient's own: only she grants or revokes them. A change takes effect on the
 * next request and, through an access-change message, on open live subscriptions at once.
 */
export class ConsentService {
  constructor(private readonly ctx: RequestContext) {}

  /** Loads the patient the caller is (SELF), or NOT_FOUND. */
  private async requireSelf(patientId: string, field: string): Promise<string> {
    const id = checkId(patientId, field, NotFoundError.patient);
    const grant = await this.ctx.access.grantFor(id);
    if (grant?.relation !== 'SELF') throw NotFoundError.patient(field);
    return id;
  }

  async grant(input: GrantConsentInput): Promise<Consent> {
    const actor = this.ctx.access.requireActor();
    const now = this.ctx.services.now();
    if (input.categories.length === 0 || new Set(input.categories).size !== input.categories.length) {
      throw BadInputError.field('input.categories', 'input.categories must list at least one category, each at most once.');
    }
    const version = checkText(input.version, 'input.version', 40);
    if (input.expiresAt && input.expiresAt.getTime() <= now) throw BadInputError.field('input.expiresAt', 'input.expiresAt must be in the future.');
    const patientId = await this.requireSelf(input.patientId, 'input.patientId');
    const consent = this.ctx.em.create(Consent, {
      id: crypto.randomUUID(),
      tenantId: actor.tenantId,
      patientId,
      type: input.type,
      categories: [...input.categories],
      version,
      grantedAt: new Date(now),
      grantedBy: actor.userId,
      expiresAt: input.expiresAt ?? null,
    });
    await this.ctx.em.flush();
    await this.announce(patientId);
    return consent;
  }

  async revoke(id: string): Promise<Consent> {
    const actor = this.ctx.access.requireActor();
    const consentId = checkId(id, 'id', (field) => NotFoundError.consent(field));
    const consent = await this.ctx.em.findOne(Consent, { id: consentId, tenantId: actor.tenantId });
    if (!consent) throw NotFoundError.consent('id');
    await this.requireSelf(consent.patientId, 'id').catch(() => {
      throw NotFoundError.consent('id');
    });
    if (!consent.revokedAt) {
      consent.revokedAt = new Date(this.ctx.services.now());
      consent.revokedBy = actor.userId;
      await this.ctx.em.flush();
      await this.announce(consent.patientId);
    }
    return consent;
  }

  /** A patient's consents, newest first; for her and for her care team. */
  async list(patientId: string): Promise<Consent[]> {
    const actor = this.ctx.access.requireActor();
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    if (!(await this.ctx.access.allows(id, 'CARE_TEAM'))) throw NotFoundError.patient();
    return this.ctx.em.find(Consent, { tenantId: actor.tenantId, patientId: id }, { orderBy: { grantedAt: 'desc', id: 'asc' } });
  }

  /** Tells every instance that what the care team may see of this patient changed. */
  private async announce(patientId: string): Promise<void> {
    this.ctx.access.invalidate(patientId);
    const change: AccessChange = { type: 'CARE_TEAM', patientId, userId: null };
    try {
      await this.ctx.services.bus.publish(Channels.tenantAccess(this.ctx.access.requireActor().tenantId), JSON.stringify(change));
    } catch (err) {
      this.ctx.logger.error({ err }, 'could not announce a consent change on the bus');
    }
  }
}
