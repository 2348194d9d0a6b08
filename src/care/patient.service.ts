import { BIRTH_WEIGHT_RANGE_GRAMS } from '../clinical/vitals.js';
import type { RequestContext } from '../context.js';
import { CareTeamMember, Infant, Patient, User } from '../db/entities/index.js';
import { BadInputError, ConflictError, NotFoundError } from '../errors.js';
import type { AddInfantInput, CreatePatientInput } from '../schema/care/care.input.js';
import { checkEmail } from '../auth/user.service.js';
import { checkId, checkPastDate, checkRange, checkText } from '../status/input-checks.js';
import { resolvePatientGrants } from '../auth/patient-grants.js';
import { Cursor } from '../schema/common/cursor.js';

const PHONE = /^\+?[0-9 ()-]{6,40}$/;

/** Patient records and infants: creation, lookup within the caller's scope, and listing. */
export class PatientService {
  constructor(private readonly ctx: RequestContext) {}

  /**
   * Creates a patient record. A care coordinator who creates one joins her care team as its
   * coordinator, so she can go on to assign the rest of the team.
   */
  async create(input: CreatePatientInput): Promise<Patient> {
    const actor = this.ctx.access.requireActor();
    const now = this.ctx.services.now();
    const givenName = checkText(input.givenName, 'input.givenName', 200);
    const familyName = checkText(input.familyName, 'input.familyName', 200);
    const birthDate = checkPastDate(input.birthDate, now, 'input.birthDate');
    const deliveryDate = checkPastDate(input.deliveryDate, now, 'input.deliveryDate');
    if (deliveryDate < birthDate) throw BadInputError.field('input.deliveryDate', 'input.deliveryDate must be after input.birthDate.');
    const mrn = input.mrn == null ? null : checkText(input.mrn, 'input.mrn', 64);
    const phone = input.phone == null ? null : checkText(input.phone, 'input.phone', 40);
    if (phone !== null && !PHONE.test(phone)) throw BadInputError.field('input.phone', 'input.phone is not a valid phone number.');
    const email = input.email == null ? null : checkEmail(input.email, 'input.email');
    let userId: string | null = null;
    if (input.userId != null) {
      userId = checkId(input.userId, 'input.userId', NotFoundError.user);
      const user = await this.ctx.em.findOne(User, { id: userId, tenantId: actor.tenantId, role: 'PATIENT' });
      if (!user) throw NotFoundError.user('input.userId');
      if (await this.ctx.em.findOne(Patient, { userId })) throw ConflictError.patientAccountTaken();
    }
    const patient = await this.ctx.em.transactional(async (em) => {
      const created = em.create(Patient, {
        id: crypto.randomUUID(),
        tenantId: actor.tenantId,
        userId,
        givenName,
        familyName,
        birthDate,
        deliveryDate,
        mrn,
        phone,
        email,
        createdBy: actor.userId,
      });
      if (actor.role === 'CARE_COORDINATOR') {
        em.create(CareTeamMember, {
          id: crypto.randomUUID(),
          tenantId: actor.tenantId,
          patientId: created.id,
          userId: actor.userId,
          role: 'CARE_COORDINATOR',
          assignedBy: actor.userId,
        });
      }
      return created;
    });
    this.ctx.access.invalidate(patient.id);
    return patient;
  }

  /** Adds an infant to a patient the caller may see infant data of. */
  async addInfant(patientId: string, input: AddInfantInput): Promise<Infant> {
    const actor = this.ctx.access.requireActor();
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    const now = this.ctx.services.now();
    const givenName = checkText(input.givenName, 'input.givenName', 200);
    const birthDate = checkPastDate(input.birthDate, now, 'input.birthDate');
    const birthWeightGrams = checkRange(input.birthWeightGrams, BIRTH_WEIGHT_RANGE_GRAMS, 'input.birthWeightGrams')!;
    const patient = await this.ctx.access.requirePatient(id, 'INFANT');
    const infant = this.ctx.em.create(Infant, {
      id: crypto.randomUUID(),
      tenantId: actor.tenantId,
      patientId: patient.id,
      givenName,
      birthDate,
      birthWeightGrams,
    });
    await this.ctx.em.flush();
    return infant;
  }

  /** A patient in the caller's scope, or NOT_FOUND. */
  get(patientId: string, field = 'id'): Promise<Patient> {
    const id = checkId(patientId, field, NotFoundError.patient);
    return this.ctx.access.requirePatient(id, 'IDENTITY', field);
  }

  /**
   * The caller's own patient record, when the caller is a PATIENT whose account a record was
   * linked to (her SELF grant); null for every other role, and for a patient with no record yet.
   */
  async own(): Promise<Patient | null> {
    const actor = this.ctx.access.requireActor();
    if (actor.role !== 'PATIENT') return null;
    const grants = await resolvePatientGrants(this.ctx.em, actor, this.ctx.services.now());
    const own = [...grants.values()].find((grant) => grant.relation === 'SELF');
    return own ? this.ctx.access.requirePatient(own.patientId, 'IDENTITY') : null;
  }

  /** A page of the patients in the caller's scope, ordered by id. */
  async list(first: number, after: string | null | undefined): Promise<{ patients: Patient[]; hasNextPage: boolean }> {
    const actor = this.ctx.access.requireActor();
    const afterId = after ? Cursor.toId(after, 'after') : null;
    const grants = await resolvePatientGrants(this.ctx.em, actor, this.ctx.services.now());
    const ids = [...grants.keys()].filter((id) => afterId === null || id > afterId).sort();
    const page = ids.slice(0, first);
    const patients = page.length === 0 ? [] : await this.ctx.em.find(Patient, { id: { $in: page }, tenantId: actor.tenantId }, { orderBy: { id: 'asc' } });
    return { patients, hasNextPage: ids.length > first };
  }

  /**
   * The infants of a patient, oldest first (the caller's grant was checked by the field's `@auth`
   * rule). Birth dates are encrypted at rest, so they are sorted here, after decryption.
   */
  async infants(patientId: string): Promise<Infant[]> {
    const actor = this.ctx.access.requireActor();
    const infants = await this.ctx.em.find(Infant, { patientId, tenantId: actor.tenantId });
    return infants.sort((a, b) => a.birthDate.localeCompare(b.birthDate) || a.id.localeCompare(b.id));
  }
}
