import { GraphQLError, parse, validate, buildSchema, Source } from 'graphql';
import { describe, expect, it } from 'vitest';
import { normaliseError, stripValues } from '../src/error-normaliser.js';
import { NotFoundError, ServiceUnavailableError } from '../src/errors.js';

describe('normaliseError', () => {
  it('passes an AppError through with its code and field', () => {
    const error = new GraphQLError('wrapped', { originalError: NotFoundError.patient('input.patientId') });
    expect(normaliseError({ message: 'wrapped' }, error)).toEqual({
      message: 'No patient with that id was found.',
      extensions: { code: 'NOT_FOUND', field: 'input.patientId' },
    });
  });

  it('turns an unknown error into a generic INTERNAL_SERVER_ERROR without its message', () => {
    const error = new GraphQLError('boom', { originalError: new Error('Key (email)=(ada@example.org) already exists') });
    const out = normaliseError({ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(JSON.stringify(out)).not.toContain('ada@example.org');
  });

  it('turns a database that cannot be reached into a retryable error without the query or its values', () => {
    const driver = Object.assign(new Error(`insert into "status_update" ("note") values ('I feel low') - connect ECONNREFUSED 127.0.0.1:5432`), { code: 'ECONNREFUSED' });
    const error = new GraphQLError(driver.message, { originalError: driver, path: ['logMood'] });
    const out = normaliseError({ message: driver.message, path: ['logMood'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(out).toEqual({ message: 'The service is unavailable right now. Retry shortly.', path: ['logMood'], extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: true } });
    expect(JSON.stringify(out)).not.toMatch(/insert|I feel low|127\.0\.0\.1/);
  });

  it('marks a server shutting down (57P01) and a pool with no free connection in time as retryable too', () => {
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const poolTimeout = new Error('timeout exceeded when trying to connect');
    for (const original of [shutdown, poolTimeout]) {
      expect(normaliseError({ message: 'x' }, new GraphQLError('x', { originalError: original })).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: true });
    }
  });

  it('never sends the HTTP status an AppError carries for Apollo as an extension', () => {
    const out = normaliseError({ message: 'Context creation failed' }, ServiceUnavailableError.database());
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: true });
  });

  it('keeps the persisted-query codes standard clients retry on, and their message', () => {
    for (const code of ['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']) {
      const message = code === 'PERSISTED_QUERY_NOT_FOUND' ? 'PersistedQueryNotFound' : 'PersistedQueryNotSupported';
      const error = new GraphQLError(message, { extensions: { code, http: { status: 200 } } });
      expect(normaliseError({ message, extensions: { code } }, error)).toEqual({ message, extensions: { code } });
    }
  });

  it('keeps OPERATION_RESOLUTION_FAILURE for an operation the request does not name unambiguously', () => {
    const message = 'Must provide operation name if query contains multiple operations.';
    const error = new GraphQLError(message, { originalError: new GraphQLError(message), extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
    expect(normaliseError({ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }, error)).toEqual({ message, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
  });

  it('turns a request Apollo refused with a 4xx status but no code into BAD_REQUEST', () => {
    const error = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
    const out = normaliseError({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(out).toEqual({ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } });
  });

  it('keeps a code-less error with a 5xx status, or wrapping another error, a server fault', () => {
    const fault = new GraphQLError('pool exploded', { extensions: { http: { status: 500 } } });
    const wrapped = new GraphQLError('refused', { originalError: new Error('boom'), extensions: { http: { status: 400 } } });
    for (const error of [fault, wrapped]) {
      expect(normaliseError({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    }
  });

  it('names the field of a variable coercion error and drops the value', () => {
    const message = 'Variable "$input" got invalid value "Jane" at "input.score"; Int cannot represent non-integer value: "Jane"';
    const error = new GraphQLError(message, { originalError: new GraphQLError('inner') });
    const out = normaliseError({ message, extensions: { code: 'BAD_USER_INPUT' } }, error);
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.score' });
    expect(out.message).not.toContain('Jane');
  });

  it('names the field of an unknown input field', () => {
    const message = 'Variable "$input" got invalid value { score: 1, bogus: "Jane" }; Field "bogus" is not defined by type "LogMoodInput".';
    const error = new GraphQLError(message, { originalError: new GraphQLError('inner') });
    const out = normaliseError({ message, extensions: { code: 'BAD_USER_INPUT' } }, error);
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.bogus' });
    expect(out.message).not.toContain('Jane');
  });

  it('names the argument of a bad literal in the query document and drops the value', () => {
    const schema = buildSchema('input I { score: Int! }  type Query { f(input: I!): Int }');
    const source = new Source('{ f(input: { score: "Jane" }) }');
    const [error] = validate(schema, parse(source));
    const out = normaliseError({ message: error!.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, error);
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'score' });
    expect(out.message).not.toContain('Jane');
  });

  it('strips enum values and "found" tails', () => {
    expect(stripValues('Value "SECRET" does not exist in "FeedingMethod" enum.')).not.toContain('SECRET');
    expect(stripValues('Expected value of type "Int!", found "Jane".')).not.toContain('Jane');
  });
});
