import { z } from 'zod';

/**
 * The operator channel's wire format: the command line sends one JSON request on a line, the
 * server answers with one JSON response on a line and closes the connection. Pure: no I/O.
 */

/** The protocol version both sides speak; a request of another version is refused. */
export const OPERATOR_PROTOCOL_VERSION = 1;

/** Largest request accepted, in bytes (a request is a few hundred bytes). */
export const MAX_OPERATOR_REQUEST_BYTES = 64 * 1024;

const tenantCreate = z.object({
  v: z.literal(OPERATOR_PROTOCOL_VERSION),
  command: z.literal('tenant:create'),
  args: z.object({ name: z.string().min(1).max(200), adminEmail: z.string().min(1).max(320), adminPassword: z.string().min(1).max(1024) }).strict(),
}).strict();

/** A request to the running server. Only commands the server can run in-process are here. */
export type OperatorRequest = z.infer<typeof tenantCreate>;

/** The commands the operator channel takes. */
export type OperatorCommand = OperatorRequest['command'];

/** Why a request failed: the application's own codes, or the channel's. */
export type OperatorErrorCode = 'BAD_USER_INPUT' | 'CONFLICT' | 'BAD_REQUEST' | 'INTERNAL_SERVER_ERROR';

/** The server's answer. */
export type OperatorResponse =
  | { readonly v: typeof OPERATOR_PROTOCOL_VERSION; readonly ok: true; readonly result: Readonly<Record<string, unknown>> }
  | { readonly v: typeof OPERATOR_PROTOCOL_VERSION; readonly ok: false; readonly error: { readonly code: OperatorErrorCode; readonly message: string } };

const response = z.union([
  z.object({ v: z.literal(OPERATOR_PROTOCOL_VERSION), ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  z.object({
    v: z.literal(OPERATOR_PROTOCOL_VERSION),
    ok: z.literal(false),
    error: z.object({ code: z.enum(['BAD_USER_INPUT', 'CONFLICT', 'BAD_REQUEST', 'INTERNAL_SERVER_ERROR']), message: z.string() }),
  }),
]);

/** Encodes a message as one line. */
export function encodeOperatorMessage(message: OperatorRequest | OperatorResponse): string {
  return `${JSON.stringify(message)}\n`;
}

/** Parses a request line; null when it is not a well-formed request of this version. */
export function parseOperatorRequest(line: string): OperatorRequest | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = tenantCreate.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Parses a response line; null when it is not a well-formed response of this version. */
export function parseOperatorResponse(line: string): OperatorResponse | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = response.safeParse(value);
  return parsed.success ? (parsed.data as OperatorResponse) : null;
}

/** A failure response. */
export function operatorFailure(code: OperatorErrorCode, message: string): OperatorResponse {
  return { v: OPERATOR_PROTOCOL_VERSION, ok: false, error: { code, message } };
}
