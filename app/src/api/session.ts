import type { Client } from 'graphql-ws';
import { graphql } from '../graphql/gql.js';
import type { Role, TypedDocumentString } from '../graphql/graphql.js';
import {
  createLiveClient,
  executeOperation,
  GraphQLRequestError,
  graphqlUrls,
  subscribeOperation,
  type ConnectionState,
  type SubscriptionHandlers,
} from './graphql-client.js';

const LoginDocument = graphql(`
  mutation SignIn($email: String!, $password: String!, $totp: String) {
    login(email: $email, password: $password, totp: $totp) {
      accessToken
      refreshToken
      expiresAt
      user { id role tenantId displayName }
    }
  }
`);

const RefreshDocument = graphql(`
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      expiresAt
      user { id role tenantId displayName }
    }
  }
`);

const LogoutDocument = graphql(`
  mutation SignOut {
    logout
  }
`);

/** The signed-in user, as the server named them at sign-in. */
export interface SignedInUser {
  readonly id: string;
  readonly role: Role;
  readonly tenantId: string;
  readonly displayName: string;
}

/** What the session keeps: the server's tokens and who they belong to. */
interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: string;
  readonly user: SignedInUser;
}

/** Why the app is at the sign-in page, shown there: nothing, a sign-out, or a session the server ended. */
export type SignInReason = { readonly kind: 'none' } | { readonly kind: 'signed-out' } | { readonly kind: 'ended'; readonly message: string };

/** The key the tokens are kept under in `sessionStorage` (gone when the tab closes; never `localStorage`). */
const STORAGE_KEY = 'cradle.session';
/** Refresh the access token this long before it expires, in milliseconds. */
const REFRESH_AHEAD_MS = 60_000;

/**
 * The app's session: signs in (with a TOTP code when the account has one), keeps the tokens in
 * `sessionStorage`, refreshes the access token before it expires, runs operations with it, and
 * holds the one graphql-ws socket. When the server ends the session (sign-out elsewhere, idle
 * logoff, expiry: an `UNAUTHENTICATED` answer or a 4401 close) every listener hears it and the
 * app returns to sign-in. It decides nothing about access: the server's answers do.
 */
export class Session {
  private tokens: SessionTokens | null;
  private live: Client | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private connection: ConnectionState = 'closed';
  private reason: SignInReason = { kind: 'none' };
  private readonly urls = graphqlUrls();

  constructor(private readonly storage: Storage = window.sessionStorage) {
    this.tokens = readTokens(storage);
    if (this.tokens) this.scheduleRefresh();
  }

  /** The signed-in user, or null at the sign-in page. */
  get user(): SignedInUser | null {
    return this.tokens?.user ?? null;
  }

  /** Why the sign-in page is showing (for its message). */
  get signInReason(): SignInReason {
    return this.reason;
  }

  /** The live socket's state. */
  get connectionState(): ConnectionState {
    return this.connection;
  }

  /** Calls `listener` whenever the user signs in or out; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` whenever the live socket's state changes; returns the function that stops it. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Signs in. Rejects with the server's error: `UNAUTHENTICATED` with `reason` `TOTP_REQUIRED` or
   * `TOTP_INVALID` asks for (another) code, `TOTP_ENROLMENT_REQUIRED` means the tenant requires a
   * second factor this account has not enrolled, `RATE_LIMITED` after too many attempts.
   */
  async signIn(email: string, password: string, totp?: string): Promise<SignedInUser> {
    const result = await executeOperation(this.urls.http, LoginDocument, { email, password, totp: totp || null }, null);
    this.store(result.login);
    this.reason = { kind: 'none' };
    this.emit();
    return result.login.user;
  }

  /** Signs out on the server (best effort) and here. */
  async signOut(): Promise<void> {
    const token = this.tokens?.accessToken ?? null;
    this.end({ kind: 'signed-out' });
    if (token) await executeOperation(this.urls.http, LogoutDocument, {}, token).catch(() => undefined);
  }

  /**
   * Runs a query or mutation as the signed-in user. An `UNAUTHENTICATED` answer ends the session
   * here too (the server ended it), and the error is rethrown for the view.
   */
  async request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    try {
      return await executeOperation(this.urls.http, document, variables, this.tokens?.accessToken ?? null);
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED' && this.tokens) {
        this.end({ kind: 'ended', message: 'Your session has ended. Sign in again to continue.' });
      }
      throw error;
    }
  }

  /** Runs a subscription on the session's socket; returns the function that stops it. */
  subscribe<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
    handlers: SubscriptionHandlers<TResult>,
  ): () => void {
    return subscribeOperation(this.liveClient(), document, variables, handlers);
  }

  private liveClient(): Client {
    this.live ??= createLiveClient({
      url: this.urls.ws,
      token: () => this.tokens?.accessToken ?? null,
      onState: (state) => this.setConnection(state),
      onSessionEnded: () => this.end({ kind: 'ended', message: 'Your session has ended. Sign in again to continue.' }),
    });
    return this.live;
  }

  private setConnection(state: ConnectionState): void {
    this.connection = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private store(tokens: SessionTokens): void {
    this.tokens = tokens;
    this.storage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    if (!this.tokens) return;
    const delay = Math.max(0, Date.parse(this.tokens.expiresAt) - Date.now() - REFRESH_AHEAD_MS);
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  private async refresh(): Promise<void> {
    const current = this.tokens;
    if (!current) return;
    try {
      const result = await executeOperation(this.urls.http, RefreshDocument, { refreshToken: current.refreshToken }, null);
      if (this.tokens === current) this.store(result.refreshSession);
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.code === 'NETWORK_ERROR') {
        this.refreshTimer = setTimeout(() => void this.refresh(), 5000);
        return;
      }
      this.end({ kind: 'ended', message: 'Your session has ended. Sign in again to continue.' });
    }
  }

  private end(reason: SignInReason): void {
    if (!this.tokens) return;
    clearTimeout(this.refreshTimer);
    this.tokens = null;
    this.storage.removeItem(STORAGE_KEY);
    const live = this.live;
    this.live = null;
    void live?.dispose();
    this.setConnection('closed');
    this.reason = reason;
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function readTokens(storage: Storage): SessionTokens | null {
  try {
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const tokens = JSON.parse(raw) as SessionTokens;
    return Date.parse(tokens.expiresAt) > Date.now() ? tokens : null;
  } catch {
    return null;
  }
}
