import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, describeErrorSafely } from '../../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('logger', () => {
  it('redacts PHI-bearing keys at the top level and one level down', () => {
    const { lines, logger } = capture();
    logger.info({ givenName: 'Ada', patient: { phone: '+1 555', note: 'private' }, variables: { x: 1 }, authorization: 'Bearer abc' }, 'x');
    const line = lines.join('');
    for (const secret of ['Ada', '+1 555', 'private', 'Bearer abc']) expect(line).not.toContain(secret);
    expect(line).toContain('[REDACTED]');
  });

  it('logs an error without its message, which may quote PHI', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint: Key (email)=(ada@example.org)'), { code: '23505' });
    const described = describeErrorSafely(error);
    expect(JSON.stringify(described)).not.toContain('ada@example.org');
    expect(described).toMatchObject({ type: 'Error', code: '23505' });
    expect(String(described['stack'])).toMatch(/^\s+at /);
  });
});
