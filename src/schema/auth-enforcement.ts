import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { recordFieldDenied, recordFieldRead, recordMutationWrite } from '../audit/field-access-audit.js';
import { PATIENT_DATA_CATEGORIES, type DataCategory } from '../auth/data-category.js';
import type { RequestContext } from '../context.js';
import { AuthenticationError, ForbiddenError } from '../errors.js';
import { parseAuthRule, type AuthRule } from './auth.directive.js';

/**
 * An object exposed through the schema that belongs to one patient. Field-level `@auth` checks use
 * `patientId` and, for `BY_RECORD` fields, the record's own category (`category`, a status update's)
 * or categories (`recordCategories`, every one of which the caller must hold: an alert's, a task's).
 */
export interface PatientOwned {
  readonly patientId: string;
  readonly category?: DataCategory;
  readonly recordCategories?: readonly DataCategory[];
}

/** The categories a `BY_RECORD` field of this object needs (none known: the field is refused). */
function recordCategories(source: PatientOwned): readonly DataCategory[] {
  if (source.recordCategories) return source.recordCategories;
  return source.category ? [source.category] : [];
}

function isPatientOwned(source: unknown): source is PatientOwned {
  return typeof source === 'object' && source !== null && typeof (source as PatientOwned).patientId === 'string';
}

/** Checks one rule for one field resolution; throws the error the caller should see. */
async function enforce(
  rule: AuthRule,
  typeName: string,
  fieldName: string,
  source: unknown,
  ctx: RequestContext,
  isRootField: boolean,
): Promise<void> {
  if (rule.public) return;
  const actor = ctx.access.actor;
  if (!actor) throw AuthenticationError.required();
  if (rule.roles && !rule.roles.includes(actor.role)) {
    throw ForbiddenError.operation(`${typeName}.${fieldName}`);
  }
  const needsPatientGrant = rule.category === 'BY_RECORD' || PATIENT_DATA_CATEGORIES.has(rule.category);
  // Root fields check the patient scope in their resolvers (answering NOT_FOUND, never FORBIDDEN).
  if (!needsPatientGrant || isRootField) return;
  if (!isPatientOwned(source)) {
    throw new Error(`${typeName}.${fieldName} declares patient data but its object does not carry a patientId.`);
  }
  const categories = rule.category === 'BY_RECORD' ? recordCategories(source) : [rule.category];
  if (!(await ctx.access.allowsAll(source.patientId, categories))) {
    recordFieldDenied(ctx, source.patientId, `${typeName}.${fieldName}`);
    throw ForbiddenError.field(typeName, fieldName);
  }
  // Every PHI field resolved is audited: batched per patient and flushed before the response.
  await recordFieldRead(ctx, source.patientId, `${typeName}.${fieldName}`);
}

/** Whether a rule guards patient data (a mutation of such a field writes a patient's record). */
function isPatientData(rule: AuthRule): boolean {
  return rule.category === 'BY_RECORD' || PATIENT_DATA_CATEGORIES.has(rule.category);
}

/**
 * Wraps every field's resolver with its `@auth` rule. A field without a rule makes this throw, so
 * a schema that forgets one never starts (deny by default). Root fields are checked for sign-in and
 * role; nested fields of patient-owned objects also for the caller's grant for their category.
 * Subscription events run through the same wrapped resolvers, so the rules hold for them too.
 */
export function enforceAuthRules(schema: GraphQLSchema): GraphQLSchema {
  const missing: string[] = [];
  const rootTypes = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((t) => t !== null && t !== undefined).map((t) => t.name),
  );
  const enforced = mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field: GraphQLFieldConfig<unknown, RequestContext>, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`;
      const args = getDirective(schema, field, 'auth')?.[0];
      if (!args) {
        missing.push(coordinate);
        return field;
      }
      const rule = parseAuthRule(coordinate, args);
      const isRootField = rootTypes.has(typeName);
      const auditsWrite = typeName === schema.getMutationType()?.name && isPatientData(rule);
      const resolve = field.resolve ?? defaultFieldResolver;
      const subscribe = field.subscribe;
      return {
        ...field,
        resolve: async (source, fieldArgs, ctx, info) => {
          await enforce(rule, typeName, fieldName, source, ctx, isRootField);
          const result = await resolve(source, fieldArgs, ctx, info);
          if (auditsWrite) await recordMutationWrite(ctx, coordinate, fieldArgs, info, result);
          return result;
        },
        ...(subscribe
          ? {
              subscribe: async (source: unknown, fieldArgs: Record<string, unknown>, ctx: RequestContext, info: Parameters<typeof resolve>[3]) => {
                await enforce(rule, typeName, fieldName, undefined, ctx, true);
                return subscribe(source, fieldArgs, ctx, info);
              },
            }
          : {}),
      };
    },
  });
  if (missing.length > 0) throw new Error(`Fields without an @auth rule (deny by default): ${missing.join(', ')}`);
  return enforced;
}
