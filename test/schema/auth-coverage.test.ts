import { getDirective } from '@graphql-tools/utils';
import { GraphQLObjectType, GraphQLSchema, GraphQLString, isIntrospectionType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { enforceAuthRules } from '../../src/schema/auth-enforcement.js';
import { authDirective, parseAuthRule } from '../../src/schema/auth.directive.js';
import { buildTestSchema } from '../helpers/schema.js';

describe('deny by default', () => {
  it('gives every field of every object type, root operations included, a valid @auth rule', async () => {
    const schema = await buildTestSchema();
    const missing: string[] = [];
    let checked = 0;
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || isIntrospectionType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        const args = getDirective(schema, field, 'auth')?.[0];
        if (!args) {
          missing.push(coordinate);
          continue;
        }
        expect(() => parseAuthRule(coordinate, args)).not.toThrow();
        checked += 1;
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  it('lets only login, refreshSession and the two enrolment steps (which need an enrolment token when not signed in) be called without signing in', async () => {
    const schema = await buildTestSchema();
    const publicRoots: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(root!.getFields())) {
        if (getDirective(schema, field, 'auth')?.[0]?.['public'] === true) publicRoots.push(field.name);
      }
    }
    expect(publicRoots.sort()).toEqual(['beginTotpEnrolment', 'confirmTotpEnrolment', 'login', 'refreshSession']);
  });

  it('refuses to build a schema with a field that has no rule', () => {
    const query = new GraphQLObjectType({ name: 'Query', fields: { leaky: { type: GraphQLString } } });
    const schema = new GraphQLSchema({ query, directives: [authDirective] });
    expect(() => enforceAuthRules(schema)).toThrow(/Query\.leaky/);
  });

  it('refuses an @auth rule naming an unknown category or role', () => {
    expect(() => parseAuthRule('Query.x', { category: 'EVERYTHING' })).toThrow(/not a data category/);
    expect(() => parseAuthRule('Query.x', { category: 'IDENTITY', roles: ['SUPERUSER'] })).toThrow(/unknown/);
  });
});
