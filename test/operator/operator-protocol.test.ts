import { describe, expect, it } from 'vitest';
import { encodeOperatorMessage, operatorFailure, parseOperatorRequest, parseOperatorResponse, type OperatorRequest } from '../../src/operator/operator-protocol.js';

const request: OperatorRequest = { v: 1, command: 'tenant:create', args: { name: 'St Elsewhere', adminEmail: 'admin@example.org', adminPassword: 'a long enough password' } };

describe('the operator channel protocol', () => {
  it('encodes a request as one line that parses back to the same request', () => {
    const line = encodeOperatorMessage(request);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseOperatorRequest(line.slice(0, -1))).toEqual(request);
  });

  it('refuses a request of another version, an unknown command, a missing or extra argument, or a line that is not JSON', () => {
    expect(parseOperatorRequest(JSON.stringify({ ...request, v: 2 }))).toBeNull();
    expect(parseOperatorRequest(JSON.stringify({ ...request, command: 'migrate' }))).toBeNull();
    expect(parseOperatorRequest(JSON.stringify({ ...request, args: { name: 'x', adminEmail: 'a@b.c' } }))).toBeNull();
    expect(parseOperatorRequest(JSON.stringify({ ...request, args: { ...request.args, role: 'ADMIN' } }))).toBeNull();
    expect(parseOperatorRequest(JSON.stringify({ ...request, args: { ...request.args, name: '' } }))).toBeNull();
    expect(parseOperatorRequest('{"v":1,')).toBeNull();
  });

  it('parses a success and a failure response, and refuses an unknown error code', () => {
    const ok = { v: 1 as const, ok: true as const, result: { tenantId: 't', adminUserId: 'u' } };
    expect(parseOperatorResponse(encodeOperatorMessage(ok).trim())).toEqual(ok);
    const failure = operatorFailure('CONFLICT', 'An account with this e-mail address already exists.');
    expect(parseOperatorResponse(encodeOperatorMessage(failure).trim())).toEqual(failure);
    expect(parseOperatorResponse(JSON.stringify({ v: 1, ok: false, error: { code: 'TEAPOT', message: 'x' } }))).toBeNull();
    expect(parseOperatorResponse('not json')).toBeNull();
  });
});
