import type { Role } from '../db/entities/index.js';

/** The authenticated caller of a request or subscription, as proven by its access token. */
export interface Actor {
  readonly userId: string;
  readonly tenantId: string;
  readonly role: Role;
  /** The token's id, for audit and revocation. */
  readonly tokenId: string;
  /** The session the token belongs to (its `sid` claim), checked on every request; see `session.service.ts`. */
  readonly sessionId?: string;
  /**
   * When the access token that proved this actor expires (set by `AccessTokenIssuer.verify`). A
   * WebSocket authenticated with the token is closed at this instant with 4401.
   */
  readonly expiresAt?: Date;
}
