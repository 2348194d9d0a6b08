import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/database-unavailable.js';

/** An error as `pg` or Node builds it: a message and, sometimes, a code. */
function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('isDatabaseUnavailable', () => {
  it('recognises a server that refuses, resets or drops the connection', () => {
    expect(isDatabaseUnavailable(driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(driverError('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isDatabaseUnavailable(driverError('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(driverError('Client has encountered a connection error and is not queryable'))).toBe(true);
  });

  it('recognises a server shutting down, starting up or out of connections, and connection-exception SQLSTATEs', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '08001', '08P01']) {
      expect(isDatabaseUnavailable(driverError('server message', code)), code).toBe(true);
    }
  });

  it('recognises the connect and pool timeouts and the statement timeout', () => {
    expect(isDatabaseUnavailable(driverError('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') }))).toBe(true);
    expect(isDatabaseUnavailable(driverError('canceling statement due to statement timeout', '57014'))).toBe(true);
  });

  it('looks through MikroORM, GraphQL and cause wrappers', () => {
    const wrapped = new DriverException(driverError('terminating connection due to administrator command', '57P01'));
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
    expect(isDatabaseUnavailable(new GraphQLError('Context creation failed', { originalError: wrapped }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('audit append failed', { cause: driverError('x', 'ECONNREFUSED') }))).toBe(true);
    const query = new DriverException(driverError('insert into "status_update" … - Connection terminated unexpectedly'));
    expect(isDatabaseUnavailable(query)).toBe(true);
  });

  it('leaves errors of the operation itself alone: constraint violations, syntax errors, bugs', () => {
    expect(isDatabaseUnavailable(new UniqueConstraintViolationException(driverError('duplicate key value', '23505')))).toBe(false);
    expect(isDatabaseUnavailable(driverError('syntax error at or near "selct"', '42601'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('Cannot read properties of undefined'))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });

  it('stops on an error that is its own cause', () => {
    const loop = new Error('loop');
    (loop as { cause?: unknown }).cause = loop;
    expect(isDatabaseUnavailable(loop)).toBe(false);
  });
});
