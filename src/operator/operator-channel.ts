import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import type { AppLogger } from '../logger.js';
import {
  encodeOperatorMessage,
  MAX_OPERATOR_REQUEST_BYTES,
  OPERATOR_PROTOCOL_VERSION,
  operatorFailure,
  parseOperatorRequest,
  type OperatorRequest,
  type OperatorResponse,
} from './operator-protocol.js';

/** How long a connection may take to send its request, in milliseconds. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The operator channel's Unix domain socket for a data directory: inside a directory only its
 * owner may enter (0700), itself 0600, so only the account that runs the server (or root), on this
 * machine, can connect.
 */
export function operatorSocketPath(dataDir: string): string {
  return join(resolve(dataDir), 'operator', 'cradle.sock');
}

/** What the server does for each command of the channel; each returns the JSON the command line prints. */
export type OperatorHandlers = {
  readonly [C in OperatorRequest['command']]: (args: Extract<OperatorRequest, { command: C }>['args']) => Promise<Readonly<Record<string, unknown>>>;
};

/** A listening operator channel. */
export interface OperatorChannel {
  readonly path: string;
  /** Stops accepting, waits for requests in flight, removes the socket. */
  close(): Promise<void>;
}

async function answer(line: string, handlers: OperatorHandlers, logger: AppLogger): Promise<OperatorResponse> {
  const request = parseOperatorRequest(line);
  if (!request) return operatorFailure('BAD_REQUEST', `Not an operator request of protocol version ${OPERATOR_PROTOCOL_VERSION}.`);
  try {
    const result = await handlers[request.command](request.args);
    logger.info({ command: request.command, outcome: 'done' }, 'operator command');
    return { v: OPERATOR_PROTOCOL_VERSION, ok: true, result };
  } catch (err) {
    const code = err instanceof AppError ? err.extensions['code'] : null;
    if (code === 'BAD_USER_INPUT' || code === 'CONFLICT') {
      logger.info({ command: request.command, outcome: code }, 'operator command');
      return operatorFailure(code, (err as AppError).message);
    }
    logger.error({ err, command: request.command }, 'operator command failed');
    return operatorFailure('INTERNAL_SERVER_ERROR', 'The server could not run the command; see its log.');
  }
}

function serve(socket: Socket, handlers: OperatorHandlers, logger: AppLogger, inFlight: Set<Promise<void>>): void {
  let buffered = '';
  let done = false;
  socket.setEncoding('utf8');
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => undefined);
  const reply = (response: OperatorResponse) => {
    socket.setTimeout(0);
    socket.end(encodeOperatorMessage(response));
  };
  socket.on('data', (chunk: string) => {
    if (done) return;
    buffered += chunk;
    const end = buffered.indexOf('\n');
    if (end < 0) {
      if (Buffer.byteLength(buffered) > MAX_OPERATOR_REQUEST_BYTES) {
        done = true;
        reply(operatorFailure('BAD_REQUEST', 'The request is too large.'));
      }
      return;
    }
    done = true;
    socket.setTimeout(0);
    const work = answer(buffered.slice(0, end), handlers, logger).then(reply);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  });
}

/**
 * Starts the operator channel of the server that owns an embedded data directory: the command
 * line, finding the directory owned by this server, sends its command here (one JSON request, one
 * JSON response; `operator-protocol.ts`) and the server runs it in-process. Call only while owning
 * the directory's lock: a socket file left by a crashed owner is replaced.
 */
export async function startOperatorChannel(dataDir: string, handlers: OperatorHandlers, logger: AppLogger): Promise<OperatorChannel> {
  const path = operatorSocketPath(dataDir);
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  rmSync(path, { force: true });
  const inFlight = new Set<Promise<void>>();
  const server: Server = createServer((socket) => serve(socket, handlers, logger, inFlight));
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolveListen());
  });
  chmodSync(path, 0o600);
  return {
    path,
    async close() {
      const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await Promise.all(inFlight);
      await closed;
      rmSync(path, { force: true });
    },
  };
}
