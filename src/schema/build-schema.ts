import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { specifiedDirectives, type GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { AlertResolver } from '../resolvers/alert.resolver.js';
import { FollowUpTaskResolver } from '../resolvers/follow-up-task.resolver.js';
import { AuditResolver } from '../resolvers/audit.resolver.js';
import { ComplianceResolver } from '../resolvers/compliance.resolver.js';
import { ConsentResolver } from '../resolvers/consent.resolver.js';
import { EmergencyAccessResolver } from '../resolvers/emergency-access.resolver.js';
import { IdentityResolver } from '../resolvers/identity.resolver.js';
import { LiveRoutingResolver } from '../resolvers/live-routing.resolver.js';
import { QuietHoursResolver } from '../resolvers/quiet-hours.resolver.js';
import { PatientResolver } from '../resolvers/patient.resolver.js';
import { AccountAdministrationResolver } from '../resolvers/account-administration.resolver.js';
import { ResearchResolver } from '../resolvers/research.resolver.js';
import { ScreeningInstrumentResolver } from '../resolvers/screening-instrument.resolver.js';
import { RolePermissionResolver } from '../resolvers/role-permission.resolver.js';
import { ProtocolResolver } from '../resolvers/protocol.resolver.js';
import { StatusUpdateResolver } from '../resolvers/status-update.resolver.js';
import { TotpResolver } from '../resolvers/totp.resolver.js';
import { MessagingResolver } from '../resolvers/messaging.resolver.js';
import { enforceAuthRules } from './auth-enforcement.js';
import { authDirective } from './auth.directive.js';
import './common/enums.js';

/** Every resolver class of the API. */
export const RESOLVERS = [
  IdentityResolver,
  PatientResolver,
  StatusUpdateResolver,
  LiveRoutingResolver,
  QuietHoursResolver,
  ConsentResolver,
  EmergencyAccessResolver,
  TotpResolver,
  RolePermissionResolver,
  ResearchResolver,
  AccountAdministrationResolver,
  ProtocolResolver,
  AlertResolver,
  FollowUpTaskResolver,
  MessagingResolver,
  AuditResolver,
  ComplianceResolver,
  ScreeningInstrumentResolver,
] as const;

/**
 * Builds the executable schema: type-graphql types and resolvers, with every field wrapped by its
 * `@auth` rule. Throws if any field lacks a rule. The schema's directives are graphql-js's standard
 * ones (`@include`, `@skip`, `@deprecated`, `@specifiedBy`) plus `@auth`: a schema given its own
 * list has only that list, and validation would refuse `@include` and `@skip` as unknown.
 */
export async function buildCradleSchema(pubSub: PubSub): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    directives: [...specifiedDirectives, authDirective],
    pubSub,
    validate: false,
    emitSchemaFile: false,
  });
  return enforceAuthRules(schema);
}

/** The SDL with `@auth` directives, as committed in `schema.graphql`. */
export function printCradleSchema(schema: GraphQLSchema): string {
  return `${printSchemaWithDirectives(schema).trim()}\n`;
}
