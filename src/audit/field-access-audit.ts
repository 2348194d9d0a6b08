import { getNamedType, isInputObjectType, type GraphQLResolveInfo } from 'graphql';
import { isUuid } from '../auth/patient-access.js';
import type { RequestContext } from '../context.js';
import type { AuditAction } from './audit-entry.js';

/**
 * The audit side of field-level `@auth` enforcement: what each resolution of a PHI field tells the
 * operation's recorder (`ctx.phiAccess`). Kept apart from `auth-enforcement.ts` so the access rules
 * stay readable on their own.
 */

/** Records an allowed read of a patient's PHI field (`Patient.givenName`), with the purpose her grant implies. */
export async function recordFieldRead(ctx: RequestContext, patientId: string, coordinate: string): Promise<void> {
  const grant = ctx.access.knownGrant(patientId) ?? (await ctx.access.grantFor(patientId));
  ctx.phiAccess.read(patientId, coordinate, grant?.relation ?? null);
}

/** Records a refused PHI field (answered FORBIDDEN). */
export function recordFieldDenied(ctx: RequestContext, patientId: string, coordinate: string): void {
  ctx.phiAccess.denied(patientId, coordinate, ctx.access.knownGrant(patientId)?.relation ?? null);
}

const CREATING = /^(create|log|submit|add|assign|grant|request|register|send|upload)/;
const DELETING = /^(delete|remove|revoke)/;

/** What a mutation does to the record it names, from its name (`logMood` creates, `removeCareTeamMember` deletes). */
export function mutationAction(fieldName: string): AuditAction {
  if (CREATING.test(fieldName)) return 'CREATE';
  if (DELETING.test(fieldName)) return 'DELETE';
  return 'UPDATE';
}

/** The patient a mutation wrote: its result's `patientId`, else its `patientId` or `input.patientId` argument. */
function writtenPatient(result: unknown, args: Record<string, unknown>): string | null {
  const fromResult = (result as { patientId?: unknown } | null)?.patientId;
  if (typeof fromResult === 'string') return fromResult;
  const input = args['input'] as { patientId?: unknown } | undefined;
  const candidate = args['patientId'] ?? input?.patientId;
  return typeof candidate === 'string' && isUuid(candidate) ? candidate : null;
}

/**
 * The fields a mutation wrote, as coordinates: the mutation itself and each input-object field it
 * was given (`LogMoodInput.score`, `LogMoodInput.note`), never the values.
 */
function writtenFields(coordinate: string, args: Record<string, unknown>, info: GraphQLResolveInfo): string[] {
  const fields = [coordinate];
  const definition = info.parentType.getFields()[info.fieldName];
  for (const arg of definition?.args ?? []) {
    const type = getNamedType(arg.type);
    const value = args[arg.name];
    if (!isInputObjectType(type) || value === null || typeof value !== 'object') continue;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined && v !== null) fields.push(`${type.name}.${key}`);
  }
  return fields;
}

/** Records a successful mutation of patient data as a CREATE/UPDATE/DELETE of her record. */
export async function recordMutationWrite(
  ctx: RequestContext,
  coordinate: string,
  args: Record<string, unknown>,
  info: GraphQLResolveInfo,
  result: unknown,
): Promise<void> {
  const patientId = writtenPatient(result, args);
  if (!patientId) return;
  const grant = ctx.access.knownGrant(patientId) ?? (await ctx.access.grantFor(patientId));
  ctx.phiAccess.write(patientId, mutationAction(info.fieldName), writtenFields(coordinate, args, info), grant?.relation ?? null);
}
