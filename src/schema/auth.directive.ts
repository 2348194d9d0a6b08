import { DirectiveLocation, GraphQLBoolean, GraphQLDirective, GraphQLList, GraphQLNonNull, GraphQLString } from 'graphql';
import { Directive } from 'type-graphql';
import { DATA_CATEGORIES, type DataCategory } from '../auth/data-category.js';
import { ROLES, type Role } from '../db/entities/index.js';

/**
 * `@auth` declares, on every field of the schema, who may use it and what category of data it
 * exposes. It is printed in `schema.graphql` and enforced at execution for queries, mutations and
 * subscription events alike (see `auth-enforcement.ts`). A field without it fails the schema build.
 *
 * - `public: true`: callable without signing in (only `login` and `refreshSession`).
 * - `roles`: the roles allowed; omitted means any signed-in role.
 * - `category`: the data category. For a field of an object that belongs to a patient, the caller's
 *   grant for that patient must include the category (`BY_RECORD`: the record's own category).
 *   On root fields the resolver checks the patient scope itself, answering NOT_FOUND when denied.
 */
export const authDirective = new GraphQLDirective({
  name: 'auth',
  description: 'Who may use this field and which data category it exposes. Enforced at execution; deny by default.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    public: { type: GraphQLBoolean, defaultValue: false },
    roles: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    category: { type: new GraphQLNonNull(GraphQLString) },
  },
});

/** The parsed arguments of an `@auth` directive. */
export interface AuthRule {
  readonly public: boolean;
  readonly roles: readonly Role[] | null;
  readonly category: DataCategory;
}

/** Validates raw directive arguments, naming the field on error so a typo fails the build. */
export function parseAuthRule(coordinate: string, args: Record<string, unknown>): AuthRule {
  const category = args['category'];
  if (typeof category !== 'string' || !(DATA_CATEGORIES as readonly string[]).includes(category)) {
    throw new Error(`${coordinate}: @auth category "${String(category)}" is not a data category.`);
  }
  const roles = args['roles'];
  if (roles !== undefined && roles !== null) {
    if (!Array.isArray(roles) || roles.length === 0) throw new Error(`${coordinate}: @auth roles must list at least one role.`);
    for (const role of roles) {
      if (!(ROLES as readonly string[]).includes(role)) throw new Error(`${coordinate}: @auth role "${String(role)}" is unknown.`);
    }
  }
  return { public: args['public'] === true, roles: (roles as Role[] | null | undefined) ?? null, category: category as DataCategory };
}

function directive(rule: { public?: boolean; roles?: readonly Role[]; category: DataCategory }): string {
  const parts = [`category: "${rule.category}"`];
  if (rule.roles) parts.push(`roles: [${rule.roles.map((r) => `"${r}"`).join(', ')}]`);
  if (rule.public) parts.push('public: true');
  return `@auth(${parts.join(', ')})`;
}

/** Decorators that attach an `@auth` rule to a type-graphql field. */
export const Auth = {
  /** Any signed-in caller; for patient data, also the caller's grant for the category. */
  category: (category: DataCategory) => Directive(directive({ category })),
  /** Only the listed roles. */
  roles: (roles: readonly Role[], category: DataCategory) => Directive(directive({ roles, category })),
  /** No sign-in needed. */
  public: (category: DataCategory) => Directive(directive({ public: true, category })),
} as const;
