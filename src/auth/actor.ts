import type { Role } from '../db/entities/index.js';

/** The authenticated caller of a request or subscription, as proven by its access token. */
export interface Actor {
  readonly userId: string;
  readonly tenantId: string;
  readonly role: Role;
  /** The token's id, for audit and revocation. */
  readonly tokenId: string;
}
