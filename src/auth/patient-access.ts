import type { EntityManager } from '@mikro-orm/postgresql';
import { Patient } from '../db/entities/index.js';
import { AuthenticationError, NotFoundError } from '../errors.js';
import type { Actor } from './actor.js';
import type { DataCategory } from './data-category.js';
import { isGrantActive, resolvePatientGrants, type PatientGrant } from './patient-grants.js';
import { grantCovers } from './record-visibility.js';

/**
 * The caller's access to patients for the length of one request (or one subscription event): grants
 * are looked up once per patient and cached. A patient outside the caller's scope is reported as
 * not found, exactly like one that does not exist.
 */
export class PatientAccess {
  private readonly cache = new Map<string, Promise<PatientGrant | null>>();
  /** Grants already known without waiting (seeded or set): a live subscription's current grants. */
  private readonly known = new Map<string, PatientGrant>();
  /** When true, the cache holds every grant the caller has: a patient not in it is denied without a lookup. */
  private complete = false;
  /** Told of each patient this caller was refused (the audit records it as DENIED). */
  private deniedListener: ((patientId: string) => void) | null = null;

  private readonly emSource: () => EntityManager;

  /**
   * `em` is where grants and patients are looked up: an EntityManager, or a function giving the
   * request's current one (so a long-lived subscription can let its EntityManager go and fork a
   * fresh one only if it needs one again).
   */
  constructor(
    em: EntityManager | (() => EntityManager),
    private caller: Actor | null,
    private readonly now: () => number,
  ) {
    this.emSource = typeof em === 'function' ? em : () => em;
  }

  private get em(): EntityManager {
    return this.emSource();
  }

  /** The signed-in caller, or null for an anonymous one. */
  get actor(): Actor | null {
    return this.caller;
  }

  /** Makes an anonymous operation act as the user who just signed in (so `login` can return its user). */
  signIn(actor: Actor): void {
    if (this.caller) throw new Error('This operation already has a signed-in caller.');
    this.caller = actor;
  }

  /** The signed-in caller, or UNAUTHENTICATED. */
  requireActor(): Actor {
    if (!this.actor) throw AuthenticationError.required();
    return this.actor;
  }

  /**
   * The caller's grant for a patient, or null when it has none (or the patient does not exist).
   * `em` is where to look it up: the request's own (the default, taken only when a lookup is
   * needed), or a transaction of the request (same tenant wall) so the lookup shares its snapshot
   * and its round of settings.
   */
  grantFor(patientId: string, em?: EntityManager): Promise<PatientGrant | null> {
    const actor = this.actor;
    if (!actor || !isUuid(patientId)) return Promise.resolve(null);
    let grant = this.cache.get(patientId);
    if (!grant && this.complete) return Promise.resolve(null);
    if (!grant) {
      grant = resolvePatientGrants(em ?? this.em, actor, this.now(), [patientId]).then((g) => {
        const found = g.get(patientId) ?? null;
        if (!found) this.deniedListener?.(patientId);
        return found;
      });
      this.cache.set(patientId, grant);
    }
    return grant;
  }

  /**
   * Whether the caller may read `category` of the patient. A refusal is reported to the denial
   * listener. `em` as for {@link grantFor}.
   */
  async allows(patientId: string, category: DataCategory, em?: EntityManager): Promise<boolean> {
    const grant = await this.grantFor(patientId, em);
    const allowed = grant !== null && isGrantActive(grant, this.now()) && grant.categories.has(category);
    if (!allowed && this.actor && isUuid(patientId)) this.deniedListener?.(patientId);
    return allowed;
  }

  /**
   * Whether the caller may see a record reading every one of `categories` of the patient (an alert,
   * a follow-up task: see `record-visibility.ts`); none listed is a refusal. A refusal is reported
   * to the denial listener. `em` as for {@link grantFor}.
   */
  async allowsAll(patientId: string, categories: readonly string[], em?: EntityManager): Promise<boolean> {
    const grant = await this.grantFor(patientId, em);
    const allowed = grantCovers(grant, categories, this.now());
    if (!allowed && this.actor && isUuid(patientId)) this.deniedListener?.(patientId);
    return allowed;
  }

  /**
   * Registers the one listener told of every refused patient (out of scope, or lacking a category):
   * the request's audit recorder, so denied attempts are audited wherever they are decided.
   */
  observeDenials(listener: (patientId: string) => void): void {
    this.deniedListener = listener;
  }

  /**
   * Loads a patient the caller may see with at least `category`, or throws NOT_FOUND naming `field`.
   * Denied and missing look the same on purpose.
   */
  async requirePatient(patientId: string, category: DataCategory, field = 'patientId'): Promise<Patient> {
    const actor = this.requireActor();
    if (!(await this.allows(patientId, category))) throw NotFoundError.patient(field);
    const patient = await this.em.findOne(Patient, { id: patientId, tenantId: actor.tenantId });
    if (!patient) throw NotFoundError.patient(field);
    return patient;
  }

  /**
   * Replaces the cache with a complete set of grants (a live subscription keeps its grants here and
   * updates them when access changes, so delivering an event needs no lookup).
   */
  seed(grants: ReadonlyMap<string, PatientGrant>): void {
    this.cache.clear();
    this.known.clear();
    for (const [patientId, grant] of grants) {
      this.cache.set(patientId, Promise.resolve(grant));
      this.known.set(patientId, grant);
    }
    this.complete = true;
  }

  /** Sets or removes one patient's grant in a seeded cache. */
  setGrant(patientId: string, grant: PatientGrant | null): void {
    if (grant) {
      this.cache.set(patientId, Promise.resolve(grant));
      this.known.set(patientId, grant);
    } else {
      this.cache.delete(patientId);
      this.known.delete(patientId);
    }
  }

  /** A grant known without a lookup (a seeded live subscription's), or undefined. */
  knownGrant(patientId: string): PatientGrant | undefined {
    return this.known.get(patientId);
  }

  /** Forgets cached grants, after the request itself changed a care team. */
  invalidate(patientId?: string): void {
    if (patientId) this.cache.delete(patientId);
    else this.cache.clear();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is a UUID; ids that are not cannot exist and are rejected before reaching the database. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
