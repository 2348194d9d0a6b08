import { AuditLog } from '../audit/audit-log.js';
import { createTenantWithAdmin, type NewTenant, type TenantCreated } from '../auth/tenant-bootstrap.js';
import type { Config } from '../config.js';
import { DataDirInUseError } from '../db/data-dir-lock.js';
import { openDatabase } from '../db/orm.js';
import { createLogger } from '../logger.js';
import { OperatorChannelUnavailableError, sendOperatorRequest } from './operator-client.js';
import { operatorSocketPath } from './operator-channel.js';
import { OPERATOR_PROTOCOL_VERSION, type OperatorErrorCode } from './operator-protocol.js';

/** The running server refused or failed the command it was sent; nothing was written. */
export class OperatorCommandError extends Error {
  constructor(readonly code: OperatorErrorCode, message: string) {
    super(message);
    this.name = 'OperatorCommandError';
  }
}

/**
 * `cradle tenant:create`: on the configured database, or, when a Cradle server on this machine owns
 * the embedded data directory, through that server's operator channel (the server creates the
 * tenant and audits it; its admin can sign in at once). Throws `DataDirInUseError` when the
 * directory is owned by another command, or by a server whose channel does not answer.
 */
export async function runTenantCreate(input: NewTenant, config: Readonly<Config>, now: () => number = Date.now): Promise<TenantCreated> {
  let db;
  try {
    db = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true, owner: 'cradle tenant:create' });
  } catch (err) {
    if (err instanceof DataDirInUseError && err.ownerIsLocalServer) return viaRunningServer(err, input);
    throw err;
  }
  const audit = new AuditLog(db.orm, now, createLogger(config.logLevel, process.stderr));
  try {
    return await createTenantWithAdmin(db.orm, audit, input, 'cli');
  } finally {
    await audit.idle();
    await db.close();
  }
}

async function viaRunningServer(inUse: DataDirInUseError, input: NewTenant): Promise<TenantCreated> {
  let response;
  try {
    response = await sendOperatorRequest(operatorSocketPath(inUse.dataDir), { v: OPERATOR_PROTOCOL_VERSION, command: 'tenant:create', args: { ...input } });
  } catch (err) {
    if (err instanceof OperatorChannelUnavailableError && !err.sent) throw inUse;
    throw err;
  }
  if (!response.ok) throw new OperatorCommandError(response.error.code, response.error.message);
  const { tenantId, adminUserId } = response.result;
  if (typeof tenantId !== 'string' || typeof adminUserId !== 'string') throw new OperatorCommandError('INTERNAL_SERVER_ERROR', 'The server answered without the tenant ids.');
  return { tenantId, adminUserId };
}
