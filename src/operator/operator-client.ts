import { connect } from 'node:net';
import { encodeOperatorMessage, parseOperatorResponse, type OperatorRequest, type OperatorResponse } from './operator-protocol.js';

/** Thrown when no server answers on the operator socket (none listens, or it closed without answering). */
export class OperatorChannelUnavailableError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    /** Whether the request had been sent: then the server may have run it. */
    readonly sent: boolean,
  ) {
    super(`No answer on the operator channel ${path}: ${reason}.${sent ? ' The command may have run: check the server log before retrying.' : ''}`);
    this.name = 'OperatorChannelUnavailableError';
  }
}

/**
 * Sends one request to the running server's operator channel and resolves with its response.
 * `timeoutMs` bounds the whole exchange (creating a tenant hashes a password: allow seconds).
 */
export function sendOperatorRequest(path: string, request: OperatorRequest, timeoutMs = 120_000): Promise<OperatorResponse> {
  return new Promise<OperatorResponse>((resolve, reject) => {
    const socket = connect(path);
    let received = '';
    let settled = false;
    let sent = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new OperatorChannelUnavailableError(path, `no response within ${timeoutMs} ms`, sent))), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      sent = true;
      socket.write(encodeOperatorMessage(request));
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\n');
      if (end < 0) return;
      const response = parseOperatorResponse(received.slice(0, end));
      settle(() => (response ? resolve(response) : reject(new OperatorChannelUnavailableError(path, 'the response was not understood', sent))));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => settle(() => reject(new OperatorChannelUnavailableError(path, err.code ?? 'connection failed', sent))));
    socket.once('close', () => settle(() => reject(new OperatorChannelUnavailableError(path, 'the connection closed before a response', sent))));
  });
}
