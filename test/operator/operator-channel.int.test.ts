import { connect } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { operatorSocketPath, startOperatorChannel, type OperatorChannel } from '../../src/operator/operator-channel.js';
import { OperatorChannelUnavailableError, sendOperatorRequest } from '../../src/operator/operator-client.js';
import type { OperatorRequest } from '../../src/operator/operator-protocol.js';

/** Sends raw bytes and resolves with everything the server answers before it closes. */
function rawExchange(path: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(text));
  });
}

const request = (name: string): OperatorRequest => ({ v: 1, command: 'tenant:create', args: { name, adminEmail: 'a@b.example', adminPassword: 'a secret password here' } });

describe('the operator channel (Unix socket of the server that owns the data directory)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cradle-chan-'));
  const logs: string[] = [];
  let channel: OperatorChannel;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(chunk.toString('utf8'));
        callback();
      },
    });
    channel = await startOperatorChannel(
      dir,
      {
        'tenant:create': async ({ name }) => {
          if (name === 'taken') throw ConflictError.emailTaken();
          if (name === 'broken') throw new Error('driver said: value Jane Doe failed');
          return { tenantId: `tenant-of-${name}`, adminUserId: 'u' };
        },
      },
      createLogger('info', destination),
    );
  });
  afterAll(async () => {
    await channel.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on a socket only its owner can reach: the socket 0600 inside a 0700 directory', () => {
    expect(channel.path).toBe(operatorSocketPath(dir));
    expect(statSync(channel.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(channel.path, '..')).mode & 0o777).toBe(0o700);
  });

  it('runs a command and answers with its result; refuses with the application code; hides an internal failure', async () => {
    expect(await sendOperatorRequest(channel.path, request('clinic'))).toEqual({ v: 1, ok: true, result: { tenantId: 'tenant-of-clinic', adminUserId: 'u' } });
    expect(await sendOperatorRequest(channel.path, request('taken'))).toEqual({
      v: 1,
      ok: false,
      error: { code: 'CONFLICT', message: 'A user with that e-mail address already exists.' },
    });
    expect(await sendOperatorRequest(channel.path, request('broken'))).toEqual({
      v: 1,
      ok: false,
      error: { code: 'INTERNAL_SERVER_ERROR', message: 'The server could not run the command; see its log.' },
    });
    const logged = logs.join('');
    expect(logged).toContain('operator command');
    expect(logged).not.toContain('a secret password here');
    expect(logged).not.toContain('Jane Doe');
  });

  it('answers BAD_REQUEST to a malformed or oversized request, and runs nothing', async () => {
    expect(JSON.parse(await rawExchange(channel.path, '{"v":1,"command":"migrate"}\n'))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.parse(await rawExchange(channel.path, 'x'.repeat(70 * 1024)))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'The request is too large.' } });
  });

  it('tells the client that no server listens before anything was sent', async () => {
    const failure = await sendOperatorRequest(join(dir, 'nobody.sock'), request('clinic')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OperatorChannelUnavailableError);
    expect((failure as OperatorChannelUnavailableError).sent).toBe(false);
  });
});
