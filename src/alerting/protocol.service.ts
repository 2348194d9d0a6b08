import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestContext } from '../context.js';
import { CLINICAL_ROLES, Protocol, ProtocolVersion, User } from '../db/entities/index.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { checkTightening } from '../protocols/built-in/index.js';
import { validateDefinition } from '../protocols/definition-check.js';
import type { ProtocolDefinition } from '../protocols/protocol.js';
import type { ProtocolInput, UpdateProtocolInput } from '../schema/protocol/protocol.input.js';
import { checkId, checkText } from '../status/input-checks.js';
import { definitionFromInput, definitionFromUpdate, namedUsers, requireValidDefinition } from './protocol-input.js';
import { builtInOf, defaultParameters, definitionOf, syncSchedule } from './protocol-catalog.js';

/** A protocol with all its versions, newest first. */
export interface ProtocolRecord {
  readonly protocol: Protocol;
  readonly versions: readonly ProtocolVersion[];
}

/** Longest change note, in characters. */
const MAX_CHANGE_NOTE_LENGTH = 2000;

/**
 * Care protocols of the caller's tenant: the built-in library (installed on first use), custom
 * protocols, their immutable versions, enabling and rollback. Care coordinators configure; every
 * definition is validated by the engine before anything is stored (BAD_USER_INPUT otherwise).
 */
export class ProtocolService {
  constructor(private readonly ctx: RequestContext) {}

  private get tenantId(): string {
    return this.ctx.access.requireActor().tenantId;
  }

  private async ensureLibrary(): Promise<void> {
    await this.ctx.services.alerting.evaluator.ensureBuiltIns(this.ctx.em, this.tenantId);
  }

  /** Every protocol of the tenant with its versions, built-ins first. */
  async list(): Promise<ProtocolRecord[]> {
    await this.ensureLibrary();
    const protocols = await this.ctx.em.find(Protocol, { tenantId: this.tenantId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    return this.withVersions(protocols);
  }

  /** One protocol, or NOT_FOUND naming `field`. */
  async get(id: string, field = 'id'): Promise<ProtocolRecord> {
    await this.ensureLibrary();
    const protocol = await this.find(this.ctx.em, id, field);
    return (await this.withVersions([protocol]))[0]!;
  }

  /** Creates a custom protocol with an ACTIVE version 1. */
  async create(input: ProtocolInput): Promise<ProtocolRecord> {
    const actor = this.ctx.access.requireActor();
    const definition = requireValidDefinition(definitionFromInput(input));
    await this.checkNamedUsers(definition);
    const changeNote = input.changeNote ? checkText(input.changeNote, 'input.changeNote', MAX_CHANGE_NOTE_LENGTH) : 'Created';
    const now = this.ctx.services.now();
    const protocolId = await this.ctx.em.transactional(async (tx) => {
      const protocol = tx.create(Protocol, {
        id: crypto.randomUUID(),
        tenantId: actor.tenantId,
        builtInKey: null,
        enabled: true,
        activeVersionId: null,
        createdAt: new Date(now),
        createdBy: actor.userId,
      });
      const version = this.newVersion(tx, protocol, 1, 'ACTIVE', definition, null, changeNote);
      protocol.activeVersionId = version.id;
      await tx.flush();
      await syncSchedule(tx, actor.tenantId, protocol.id, definition, now);
      return protocol.id;
    });
    this.ctx.em.clear();
    return this.get(protocolId);
  }

  /**
   * Writes a new immutable version (active at once unless `activate` is false). A built-in takes
   * parameters and may only be tightened (`checkTightening`); its condition is fixed.
   */
  async update(id: string, input: UpdateProtocolInput): Promise<ProtocolRecord> {
    const changeNote = checkText(input.changeNote ?? '', 'input.changeNote', MAX_CHANGE_NOTE_LENGTH);
    const { protocol, versions } = await this.get(id);
    const current = versions.find((v) => v.id === protocol.activeVersionId) ?? versions[0]!;
    const builtIn = builtInOf(protocol.builtInKey);
    let definition: ProtocolDefinition;
    let parameters: Record<string, number> | null = null;
    if (protocol.builtInKey) {
      if (!builtIn) throw BadInputError.field('id', 'This built-in protocol is no longer in the library and cannot be changed.');
      for (const fixed of ['condition', 'appliesWhen', 'trigger'] as const) {
        if (input[fixed] !== null && input[fixed] !== undefined) {
          throw BadInputError.field(`input.${fixed}`, `The ${fixed} of a built-in protocol is fixed; tune its parameters instead.`);
        }
      }
      parameters = { ...defaultParameters(builtIn), ...(current.parameters ?? {}) };
      for (const [i, p] of (input.parameters ?? []).entries()) {
        if (!(p.name in builtIn.parameters)) {
          throw BadInputError.field(`input.parameters[${i}].name`, `Unknown parameter; this protocol takes ${Object.keys(builtIn.parameters).join(', ')}.`);
        }
        parameters[p.name] = p.value;
      }
      const base = builtIn.build(parameters);
      const kept = definitionOf(current);
      definition = definitionFromUpdate(
        { ...base, severity: kept.severity, actions: kept.actions, escalation: kept.escalation, onIncompleteData: kept.onIncompleteData },
        input,
      );
      const [problem] = [...checkTightening(builtIn, parameters, definition), ...validateDefinition(definition, 'input')];
      if (problem) throw BadInputError.protocolDefinition(problem);
    } else {
      if (input.parameters?.length) throw BadInputError.field('input.parameters', 'Only built-in protocols take parameters.');
      definition = requireValidDefinition(definitionFromUpdate(definitionOf(current), input));
    }
    await this.checkNamedUsers(definition);
    const now = this.ctx.services.now();
    await this.ctx.em.transactional(async (tx) => {
      const locked = await tx.findOneOrFail(Protocol, { id: protocol.id, tenantId: protocol.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      const latest = await tx.findOne(ProtocolVersion, { protocolId: locked.id }, { orderBy: { number: 'desc' } });
      const status = input.activate === false ? 'DRAFT' : 'ACTIVE';
      if (status === 'ACTIVE') await this.retireActive(tx, locked.id);
      const version = this.newVersion(tx, locked, (latest?.number ?? 0) + 1, status, definition, parameters, changeNote);
      if (status === 'ACTIVE') locked.activeVersionId = version.id;
      await tx.flush();
      if (status === 'ACTIVE') await syncSchedule(tx, locked.tenantId, locked.id, definition, now);
    });
    this.ctx.em.clear();
    return this.get(protocol.id);
  }

  /** Enables or disables a protocol; a built-in can never be disabled. */
  async setEnabled(id: string, enabled: boolean): Promise<ProtocolRecord> {
    const { protocol } = await this.get(id);
    if (protocol.builtInKey && !enabled) throw BadInputError.builtInProtocolLocked('enabled');
    if (protocol.enabled !== enabled) {
      protocol.enabled = enabled;
      await this.ctx.em.flush();
    }
    return this.get(protocol.id);
  }

  /** Rollback (or activation of a draft): makes version `number` the active one and retires the current. */
  async activateVersion(id: string, number: number): Promise<ProtocolRecord> {
    const { protocol, versions } = await this.get(id);
    const target = versions.find((v) => v.number === number);
    if (!target) throw NotFoundError.protocolVersion('version');
    if (target.status !== 'ACTIVE') {
      const now = this.ctx.services.now();
      await this.ctx.em.transactional(async (tx) => {
        const locked = await tx.findOneOrFail(Protocol, { id: protocol.id, tenantId: protocol.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        await this.retireActive(tx, locked.id);
        const version = await tx.findOneOrFail(ProtocolVersion, { id: target.id }, { refresh: true });
        version.status = 'ACTIVE';
        locked.activeVersionId = version.id;
        await tx.flush();
        await syncSchedule(tx, locked.tenantId, locked.id, definitionOf(version), now);
      });
      this.ctx.em.clear();
    }
    return this.get(protocol.id);
  }

  private async retireActive(tx: EntityManager, protocolId: string): Promise<void> {
    const active = await tx.find(ProtocolVersion, { protocolId, status: 'ACTIVE' }, { refresh: true });
    for (const v of active) v.status = 'RETIRED';
    // Retire first, so the one-active-version index never sees two.
    await tx.flush();
  }

  private newVersion(
    tx: EntityManager,
    protocol: Protocol,
    number: number,
    status: 'DRAFT' | 'ACTIVE',
    definition: ProtocolDefinition,
    parameters: Record<string, number> | null,
    changeNote: string,
  ): ProtocolVersion {
    return tx.create(ProtocolVersion, {
      id: crypto.randomUUID(),
      tenantId: protocol.tenantId,
      protocolId: protocol.id,
      number,
      status,
      definition: definition as unknown as Record<string, unknown>,
      parameters,
      authorId: this.ctx.access.requireActor().userId,
      changeNote,
      guideline: definition.guideline,
      createdAt: new Date(this.ctx.services.now()),
    });
  }

  private async find(em: EntityManager, id: string, field: string): Promise<Protocol> {
    const protocolId = checkId(id, field, NotFoundError.protocol);
    const protocol = await em.findOne(Protocol, { id: protocolId, tenantId: this.tenantId });
    if (!protocol) throw NotFoundError.protocol(field);
    return protocol;
  }

  private async withVersions(protocols: readonly Protocol[]): Promise<ProtocolRecord[]> {
    if (protocols.length === 0) return [];
    const versions = await this.ctx.em.find(ProtocolVersion, { protocolId: { $in: protocols.map((p) => p.id) } }, { orderBy: { number: 'desc' } });
    return protocols.map((protocol) => ({ protocol, versions: versions.filter((v) => v.protocolId === protocol.id) }));
  }

  /** Users named in an escalation chain must be clinicians of the caller's tenant. */
  private async checkNamedUsers(definition: ProtocolDefinition): Promise<void> {
    const ids = namedUsers(definition);
    if (ids.length === 0) return;
    const found = await this.ctx.em.count(User, { id: { $in: ids }, tenantId: this.tenantId, role: { $in: [...CLINICAL_ROLES] } });
    if (found !== ids.length) throw BadInputError.field('input.escalation', 'The escalation chain names a user who is not a clinician of this organisation.');
  }
}
