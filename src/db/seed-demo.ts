import type { EntityManager } from '@mikro-orm/postgresql';
import { Faker, en } from '@faker-js/faker';
import { scoreScreening } from '../clinical/screening.js';
import { classifyBloodPressure } from '../clinical/vitals.js';
import { hashPassword } from '../auth/password.js';
import { CareTeamMember, Infant, OutboxEvent, Patient, StatusUpdate, Tenant, User, type ClinicalRole, type Role, type StatusKind } from './entities/index.js';

/** A login printed at start so a newcomer can try the demo. */
export interface DemoLogin {
  readonly role: Role;
  readonly email: string;
  readonly password: string;
}

/** The shared password of every demo account: synthetic data only, never for real use. */
export const DEMO_PASSWORD = 'cradle-demo-password';
const PATIENT_COUNT = 20;
const HISTORY_DAYS = 21;
const DAY = 86_400_000;

/**
 * Seeds a demo tenant of synthetic data (faker, fixed seed): one user per role plus a second
 * midwife (to show care-team scoping), 20 patients with infants and care teams, and three weeks of
 * logs. Nothing here is real PHI. Historic events are stored as already published.
 */
export async function seedDemoTenant(em: EntityManager, now: number): Promise<DemoLogin[]> {
  const faker = new Faker({ locale: [en], seed: 2026 });
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const logins: DemoLogin[] = [];
  return em.transactional(async (tx) => {
    const tenant = tx.create(Tenant, { id: crypto.randomUUID(), name: 'Cradle Demo Clinic', eventSeq: 0 });
    const users = new Map<string, User>();
    const accounts: Array<[string, Role, string]> = [
      ['patient', 'PATIENT', 'Demo Patient'],
      ['gp', 'PRIMARY_CARE_PROVIDER', 'Dr Demo GP'],
      ['midwife', 'MIDWIFE', 'Demo Midwife'],
      ['midwife2', 'MIDWIFE', 'Second Demo Midwife'],
      ['lactation', 'LACTATION_CONSULTANT', 'Demo Lactation Consultant'],
      ['mentalhealth', 'MENTAL_HEALTH_SPECIALIST', 'Demo Mental-Health Specialist'],
      ['coordinator', 'CARE_COORDINATOR', 'Demo Care Coordinator'],
      ['researcher', 'RESEARCHER', 'Demo Researcher'],
      ['compliance', 'COMPLIANCE_OFFICER', 'Demo Compliance Officer'],
      ['admin', 'ADMIN', 'Demo Admin'],
    ];
    for (const [key, role, displayName] of accounts) {
      const email = `${key}@demo.cradle.example`;
      users.set(key, tx.create(User, { id: crypto.randomUUID(), tenantId: tenant.id, email, passwordHash, role, displayName }));
      logins.push({ role, email, password: DEMO_PASSWORD });
    }
    const admin = users.get('admin')!;
    let seq = 0;
    for (let i = 0; i < PATIENT_COUNT; i++) {
      const daysPostpartum = faker.number.int({ min: 3, max: 75 });
      const delivery = new Date(now - daysPostpartum * DAY);
      const patient = tx.create(Patient, {
        id: crypto.randomUUID(),
        tenantId: tenant.id,
        userId: i === 0 ? users.get('patient')!.id : null,
        givenName: faker.person.firstName('female'),
        familyName: faker.person.lastName(),
        birthDate: faker.date.birthdate({ min: 19, max: 42, mode: 'age', refDate: now }).toISOString().slice(0, 10),
        deliveryDate: delivery.toISOString().slice(0, 10),
        mrn: `DEMO-${String(100000 + i)}`,
        phone: faker.phone.number({ style: 'international' }),
        email: faker.internet.email({ provider: 'example.com' }).toLowerCase(),
        createdBy: admin.id,
      });
      const infant = tx.create(Infant, {
        id: crypto.randomUUID(),
        tenantId: tenant.id,
        patientId: patient.id,
        givenName: faker.person.firstName(),
        birthDate: patient.deliveryDate,
        birthWeightGrams: faker.number.int({ min: 2500, max: 4200 }),
      });
      const team: Array<[string, ClinicalRole]> = [
        ['gp', 'PRIMARY_CARE_PROVIDER'],
        [i % 2 === 0 ? 'midwife' : 'midwife2', 'MIDWIFE'],
        ['lactation', 'LACTATION_CONSULTANT'],
        ['mentalhealth', 'MENTAL_HEALTH_SPECIALIST'],
        ['coordinator', 'CARE_COORDINATOR'],
      ];
      for (const [key, role] of team) {
        tx.create(CareTeamMember, { id: crypto.randomUUID(), tenantId: tenant.id, patientId: patient.id, userId: users.get(key)!.id, role, assignedBy: admin.id });
      }
      const log = (kind: StatusKind, at: number, data: Record<string, unknown>, infantId: string | null = null) => {
        seq += 1;
        const update = tx.create(StatusUpdate, {
          id: crypto.randomUUID(), tenantId: tenant.id, patientId: patient.id, infantId, kind,
          recordedAt: new Date(at), recordedBy: patient.userId ?? users.get('midwife')!.id, data, seq,
        });
        tx.create(OutboxEvent, {
          tenantId: tenant.id, seq, type: 'STATUS_UPDATE_LOGGED', patientId: patient.id, subjectId: update.id, kind, publishedAt: new Date(now),
        });
      };
      const lowMood = i % 5 === 0;
      for (let day = Math.min(HISTORY_DAYS, daysPostpartum); day >= 1; day--) {
        const morning = now - day * DAY + 8 * 3_600_000;
        log('MOOD', morning, { score: faker.number.int({ min: lowMood ? 1 : 2, max: lowMood ? 3 : 5 }) });
        log('SLEEP', morning + 60_000, { hours: faker.number.float({ min: 3, max: 8, fractionDigits: 1 }) });
        for (let feed = 0; feed < 3; feed++) {
          log('FEEDING', morning + feed * 4 * 3_600_000, {
            method: faker.helpers.arrayElement(['BREAST', 'BOTTLE_BREASTMILK', 'FORMULA']),
            durationMinutes: faker.number.int({ min: 10, max: 40 }),
            wetDiapers: faker.number.int({ min: 1, max: 3 }),
            dirtyDiapers: faker.number.int({ min: 0, max: 2 }),
          }, infant.id);
        }
        if (day % 3 === 0) {
          const systolic = faker.number.int({ min: 105, max: i % 7 === 0 ? 165 : 138 });
          const diastolic = faker.number.int({ min: 65, max: i % 7 === 0 ? 112 : 88 });
          log('VITALS', morning + 2 * 3_600_000, { systolic, diastolic, heartRate: faker.number.int({ min: 60, max: 100 }), bloodPressureCategory: classifyBloodPressure(systolic, diastolic) });
        }
        if (day % 7 === 0) {
          const answers = Array.from({ length: 10 }, () => faker.number.int({ min: 0, max: lowMood ? 1 : 3 }));
          const scored = scoreScreening('EPDS', answers);
          log('SCREENING', morning + 3 * 3_600_000, {
            instrument: 'EPDS', answers, items: scored.items, total: scored.total, maxTotal: scored.maxTotal, band: scored.band, selfHarmItemPositive: scored.selfHarmItemPositive,
          });
        }
      }
    }
    tenant.eventSeq = seq;
    return logins;
  });
}
