import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { CareTeamService } from '../care/care-team.service.js';
import { PatientService } from '../care/patient.service.js';
import type { RequestContext } from '../context.js';
import type { ClinicalRole } from '../db/entities/index.js';
import { BadInputError } from '../errors.js';
import { Auth } from '../schema/auth.directive.js';
import { CareTeamMemberView } from '../schema/care/care-team-member.type.js';
import { AddInfantInput, CreatePatientInput } from '../schema/care/care.input.js';
import { InfantView } from '../schema/care/infant.type.js';
import { PatientConnection, PatientView } from '../schema/care/patient.type.js';
import { Cursor } from '../schema/common/cursor.js';
import { CareTeamRoleEnum } from '../schema/common/enums.js';
import { MAX_PAGE_SIZE } from '../schema/common/page-info.type.js';

/** Checks a page size argument. */
export function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw BadInputError.field('first', `first must be from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return first;
}

/** Patients, infants and care teams. */
@Resolver(() => PatientView)
export class PatientResolver {
  @Query(() => PatientView, { description: "A patient in the caller's scope; NOT_FOUND otherwise." })
  @Auth.category('IDENTITY')
  async patient(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<PatientView> {
    return new PatientView(await new PatientService(ctx).get(id), ctx.services.now());
  }

  @Query(() => PatientConnection, { description: "The patients in the caller's scope, by id." })
  @Auth.roles(['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'ADMIN'], 'IDENTITY')
  async patients(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<PatientConnection> {
    const { patients, hasNextPage } = await new PatientService(ctx).list(checkFirst(first), after);
    const now = ctx.services.now();
    const edges = patients.map((p) => ({ cursor: Cursor.ofId(p.id), node: new PatientView(p, now) }));
    return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Mutation(() => PatientView, { description: 'Creates a patient record (CARE_COORDINATOR, ADMIN).' })
  @Auth.roles(['CARE_COORDINATOR', 'ADMIN'], 'IDENTITY')
  async createPatient(@Arg('input', () => CreatePatientInput) input: CreatePatientInput, @Ctx() ctx: RequestContext): Promise<PatientView> {
    return new PatientView(await new PatientService(ctx).create(input), ctx.services.now());
  }

  @Mutation(() => InfantView, { description: "Adds a baby to a patient's record." })
  @Auth.roles(['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'CARE_COORDINATOR'], 'INFANT')
  async addInfant(
    @Arg('patientId', () => ID) patientId: string,
    @Arg('input', () => AddInfantInput) input: AddInfantInput,
    @Ctx() ctx: RequestContext,
  ): Promise<InfantView> {
    return new InfantView(await new PatientService(ctx).addInfant(patientId, input));
  }

  @Mutation(() => CareTeamMemberView, {
    description:
      "Adds a clinician to a patient's care team (her CARE_COORDINATOR). Separation of duties: an ADMIN may only add a CARE_COORDINATOR to a team that has none (FORBIDDEN otherwise), which raises an ADMIN_CLINICAL_PROVISIONING compliance event.",
  })
  @Auth.roles(['CARE_COORDINATOR', 'ADMIN'], 'CARE_TEAM')
  async assignCareTeamMember(
    @Arg('patientId', () => ID) patientId: string,
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => CareTeamRoleEnum) role: ClinicalRole,
    @Ctx() ctx: RequestContext,
  ): Promise<CareTeamMemberView> {
    const { member, displayName } = await new CareTeamService(ctx).assign(patientId, userId, role);
    return new CareTeamMemberView(member, displayName);
  }

  @Mutation(() => Boolean, { description: 'Removes a clinician from a care team; takes effect at once, live subscriptions included.' })
  @Auth.roles(['CARE_COORDINATOR', 'ADMIN'], 'CARE_TEAM')
  removeCareTeamMember(
    @Arg('patientId', () => ID) patientId: string,
    @Arg('userId', () => ID) userId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return new CareTeamService(ctx).remove(patientId, userId);
  }

  @FieldResolver(() => [InfantView])
  @Auth.category('INFANT')
  async infants(@Root() patient: PatientView, @Ctx() ctx: RequestContext): Promise<InfantView[]> {
    return (await new PatientService(ctx).infants(patient.id)).map((i) => new InfantView(i));
  }

  @FieldResolver(() => [CareTeamMemberView])
  @Auth.category('CARE_TEAM')
  async careTeam(@Root() patient: PatientView, @Ctx() ctx: RequestContext): Promise<CareTeamMemberView[]> {
    return (await new CareTeamService(ctx).members(patient.id)).map(({ member, displayName }) => new CareTeamMemberView(member, displayName));
  }
}
