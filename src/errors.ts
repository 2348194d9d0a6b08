import { GraphQLError } from 'graphql';

/**
 * The error codes Cradle's API promises (see shared/API.md), plus `BAD_REQUEST`, the request-level
 * code standard GraphQL clients know from Apollo Server.
 */
export type AppErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

/**
 * The one error type Cradle's resolvers throw. Its message and extensions are safe to show to the
 * caller: they never carry PHI or internals. Build them with the named factories below.
 */
export class AppError extends GraphQLError {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message, { extensions: { code, ...extra } });
    this.name = 'AppError';
  }
}

/** The caller is not signed in, or its token is invalid or expired. */
export class AuthenticationError extends AppError {
  static required(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'Sign in to do this.');
  }
  static invalidCredentials(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'The e-mail address or password is wrong.');
  }
  static invalidToken(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'The access token is invalid or has expired.');
  }
  static invalidRefreshToken(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'The refresh token is invalid, expired or already used. Sign in again.');
  }
  /** The password was right; the account has a TOTP second factor and no code was given. */
  static totpRequired(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'Enter the code from your authenticator app, or a recovery code.', { reason: 'TOTP_REQUIRED' });
  }
  /** The password was right; the TOTP code or recovery code was wrong, expired or already used. */
  static totpInvalid(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'The code is wrong, expired or already used.', { reason: 'TOTP_INVALID' });
  }
  /**
   * The password was right, but the tenant requires a second factor of this role and none is
   * enrolled: the enrolment token lets the enrolment mutations (and nothing else) act for the user.
   */
  static totpEnrolmentRequired(enrolmentToken: string, expiresAt: Date): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'Your organisation requires a second factor. Enrol an authenticator app, then sign in again.', {
      reason: 'TOTP_ENROLMENT_REQUIRED',
      enrolmentToken,
      enrolmentTokenExpiresAt: expiresAt.toISOString(),
    });
  }
  static invalidEnrolmentToken(): AuthenticationError {
    return new AuthenticationError('UNAUTHENTICATED', 'The enrolment token is invalid or has expired. Sign in again.', { field: 'enrolmentToken' });
  }
}

/** The caller is signed in but its role may not use this operation at all. */
export class ForbiddenError extends AppError {
  static operation(name: string): ForbiddenError {
    return new ForbiddenError('FORBIDDEN', `Your role may not use ${name}.`);
  }
  /**
   * Separation of duties: an ADMIN creates accounts but does not put clinicians on care teams;
   * the patient's care coordinator does (an ADMIN may only give a team without one its coordinator).
   */
  static careTeamSeparationOfDuties(field = 'role'): ForbiddenError {
    return new ForbiddenError(
      'FORBIDDEN',
      "An administrator may only add a care coordinator to a care team that has none; the patient's care coordinator adds the other members.",
      { field },
    );
  }
  static field(typeName: string, fieldName: string): ForbiddenError {
    return new ForbiddenError('FORBIDDEN', `Your role may not read ${typeName}.${fieldName}.`);
  }
  /** A patient may delete only entries she logged herself; her care team corrects the others. */
  static notOwnEntry(field = 'id'): ForbiddenError {
    return new ForbiddenError('FORBIDDEN', 'You can delete only entries you logged yourself; ask your care team to correct this one.', { field });
  }
  /** A patient's own entry past the correction window: her care team corrects it from then on. */
  static correctionWindowClosed(minutes: number, field = 'id'): ForbiddenError {
    return new ForbiddenError('FORBIDDEN', `Entries can be deleted by the patient only within ${minutes} minutes of logging them; ask your care team to correct this one.`, { field });
  }
  /** Break-glass access is for reading in an emergency, never for changing the record. */
  static emergencyAccessWrite(field = 'id'): ForbiddenError {
    return new ForbiddenError('FORBIDDEN', "Emergency access lets you read this record, not change it; ask her care team.", { field });
  }
}

/**
 * Something does not exist, or the caller may not know it does: the two look the same on purpose,
 * so an error never reveals the existence of a record outside the caller's scope.
 */
export class NotFoundError extends AppError {
  private static of(entity: string, field: string): NotFoundError {
    return new NotFoundError('NOT_FOUND', `No ${entity} with that id was found.`, { field });
  }
  static patient(field = 'patientId'): NotFoundError {
    return NotFoundError.of('patient', field);
  }
  static infant(field = 'infantId'): NotFoundError {
    return NotFoundError.of('infant', field);
  }
  static user(field = 'userId'): NotFoundError {
    return NotFoundError.of('user', field);
  }
  static careTeamMember(field = 'userId'): NotFoundError {
    return NotFoundError.of('care-team member', field);
  }
  static consent(field = 'id'): NotFoundError {
    return NotFoundError.of('consent', field);
  }
  static emergencyAccess(field = 'id'): NotFoundError {
    return NotFoundError.of('emergency access grant', field);
  }
  static statusUpdate(field = 'id'): NotFoundError {
    return NotFoundError.of('status update', field);
  }
  static protocol(field = 'id'): NotFoundError {
    return NotFoundError.of('protocol', field);
  }
  static protocolVersion(field = 'version'): NotFoundError {
    return NotFoundError.of('protocol version', field);
  }
  static alert(field = 'id'): NotFoundError {
    return NotFoundError.of('alert', field);
  }
  static followUpTask(field = 'id'): NotFoundError {
    return NotFoundError.of('follow-up task', field);
  }
  /** A messaging device the caller does not own (or that does not exist). */
  static messagingDevice(field = 'deviceId'): NotFoundError {
    return NotFoundError.of('messaging device', field);
  }
}

/**
 * The request cannot be served as sent, whatever its values: a request-level client mistake (HTTP
 * 400), as opposed to {@link BadInputError}, which names the value at fault.
 */
export class RequestError extends AppError {
  /** Subscriptions run over graphql-ws only; an HTTP request could never receive their events. */
  static subscriptionOverHttp(): RequestError {
    return new RequestError('BAD_REQUEST', 'Subscriptions are served over WebSocket (graphql-ws) at this same path, not over HTTP.', {
      // Read by Apollo Server for the HTTP status, then removed; never sent as an extension.
      http: { status: 400 },
    });
  }
}

/** Input failed validation; `field` names the input field at fault (a path such as `input.answers[3]`). */
export class BadInputError extends AppError {
  static field(field: string, message: string): BadInputError {
    return new BadInputError('BAD_USER_INPUT', message, { field });
  }
  /**
   * A password the policy refuses (`password-policy.ts`); `reason` is one of its literal codes,
   * so a client can say what to change. The password itself is never echoed.
   */
  static password(field: string, reason: string, message: string): BadInputError {
    return new BadInputError('BAD_USER_INPUT', message, { field, reason });
  }
  /** A deletion reason a patient cannot give (only her care team knows an entry is on the wrong record). */
  static patientDeletionReason(allowed: readonly string[], field = 'reason'): BadInputError {
    return BadInputError.field(field, `${field} must be one of ${allowed.join(', ')} when you delete your own entry.`);
  }
  /** A TOTP code (or recovery code) given to confirm enrolment or disable the factor was wrong or already used. */
  static totpCode(field = 'code'): BadInputError {
    return BadInputError.field(field, 'The code is wrong, expired or already used.');
  }
  static cursor(field = 'after'): BadInputError {
    return BadInputError.field(field, 'The cursor is not valid.');
  }
  /** A protocol definition problem (see `validateDefinition`); CEL errors carry their 1-based position in the message. */
  static protocolDefinition(problem: { field: string; message: string; position?: { line: number; column: number } }): BadInputError {
    const where = problem.position ? ` (line ${problem.position.line}, column ${problem.position.column})` : '';
    return new BadInputError('BAD_USER_INPUT', `${problem.message}${where}`, {
      field: problem.field,
      ...(problem.position ? { line: problem.position.line, column: problem.position.column } : {}),
    });
  }
  /** A back-test that ran past its time limit (the dry run changes nothing): ask for fewer days. */
  static backtestTooLong(limitSeconds: number, field = 'backtestDays'): BadInputError {
    return BadInputError.field(field, `The back-test did not finish within ${limitSeconds} s: choose fewer backtestDays.`);
  }
  /** Built-in protocols are locked baselines: they can be tightened, never disabled. */
  static builtInProtocolLocked(field = 'enabled'): BadInputError {
    return BadInputError.field(field, 'Built-in protocols cannot be disabled; tighten their parameters instead.');
  }
  /** A messaging key, signature or body that is not strict base64, or decodes to the wrong length. */
  static encoding(field: string, expected: string): BadInputError {
    return BadInputError.field(field, `${field} must be ${expected}, base64-encoded.`);
  }
  /** A signed prekey or Kyber prekey whose signature does not verify against the device's identity key. */
  static preKeySignature(field: string): BadInputError {
    return BadInputError.field(field, `${field} does not verify against the identity key.`);
  }
}

/** The request conflicts with the current state (a duplicate, a stale version). */
export class ConflictError extends AppError {
  static emailTaken(field = 'input.email'): ConflictError {
    return new ConflictError('CONFLICT', 'A user with that e-mail address already exists.', { field });
  }
  static alreadyOnCareTeam(): ConflictError {
    return new ConflictError('CONFLICT', 'That user is already on this care team.', { field: 'userId' });
  }
  static taskAlreadyDone(): ConflictError {
    return new ConflictError('CONFLICT', 'This follow-up task has already been completed.', { field: 'id' });
  }
  static alreadyReviewed(): ConflictError {
    return new ConflictError('CONFLICT', 'This emergency access has already been reviewed.', { field: 'id' });
  }
  static totpAlreadyEnabled(): ConflictError {
    return new ConflictError('CONFLICT', 'A second factor is already enabled. Disable it first to enrol a new one.');
  }
  static totpNotEnabled(): ConflictError {
    return new ConflictError('CONFLICT', 'No second factor is enabled.');
  }
  static totpEnrolmentNotBegun(): ConflictError {
    return new ConflictError('CONFLICT', 'Begin TOTP enrolment first.');
  }
  /** The user already has the most messaging devices allowed. */
  static deviceLimit(max: number): ConflictError {
    return new ConflictError('CONFLICT', `A user may register at most ${max} messaging devices. Remove one first.`, { reason: 'DEVICE_LIMIT', field: 'input' });
  }
  /**
   * The recipient devices of a `sendMessage` are not exactly the current devices of each recipient
   * (Signal's 409 and 410): for each user, the devices missing from the request, the ones named that
   * do not exist, and the ones whose registration id changed (re-fetch their bundles).
   */
  static deviceMismatch(mismatches: ReadonlyArray<{ userId: string; missingDevices: number[]; extraDevices: number[]; staleDevices: number[] }>): ConflictError {
    return new ConflictError('CONFLICT', 'The recipient devices are not current. Update your device lists and sessions, then send again.', {
      reason: 'DEVICE_MISMATCH',
      field: 'input.messages',
      mismatches,
    });
  }
  static patientAccountTaken(): ConflictError {
    return new ConflictError('CONFLICT', 'That user account already belongs to a patient record.', { field: 'input.userId' });
  }
}

/**
 * The live feed cannot be opened right now (the bus or the database is down); retry with `since`.
 * It keeps the contract's INTERNAL_SERVER_ERROR code and says `retryable`.
 */
export class BusUnavailableError extends AppError {
  static live(): BusUnavailableError {
    return new BusUnavailableError('INTERNAL_SERVER_ERROR', 'Live updates are unavailable right now. Retry shortly with your last cursor as since.', { retryable: true });
  }
}

/**
 * The database cannot be reached right now (restarting, failing over, no free connection within the
 * connect timeout): retry shortly. It keeps the contract's INTERNAL_SERVER_ERROR code and says
 * `retryable`, like {@link BusUnavailableError}; over HTTP the response is a 503. A write refused
 * this way was not applied, except when the connection broke during its commit, which no client
 * can tell apart (see "Database outages" in `docs/api.md`).
 */
export class ServiceUnavailableError extends AppError {
  static database(): ServiceUnavailableError {
    return new ServiceUnavailableError('INTERNAL_SERVER_ERROR', 'The service is unavailable right now. Retry shortly.', {
      retryable: true,
      // Read by Apollo Server for the HTTP status, then removed; never sent as an extension.
      http: { status: 503 },
    });
  }
}

/**
 * A mutation was applied, but its result cannot be returned because the audit record of the
 * request could not be written (a result that cannot be audited is not served). Sending it again
 * would apply it twice, so it says `retryable: false`; the change can be read back later.
 */
export class UnauditedResultError extends AppError {
  static mutationApplied(): UnauditedResultError {
    return new UnauditedResultError('INTERNAL_SERVER_ERROR', 'The change was saved, but its result cannot be shown right now. Do not send it again; read it back later.', {
      retryable: false,
    });
  }
}

/** Too many attempts; try again later. `retryAfterSeconds` says when, in whole seconds. */
export class RateLimitedError extends AppError {
  static login(retryAfterSeconds: number): RateLimitedError {
    return new RateLimitedError('RATE_LIMITED', 'Too many attempts. Try again later.', { retryAfterSeconds });
  }
  /** The caller claimed too many prekey bundles (of one device, or in all); nothing was claimed. */
  static preKeyClaims(retryAfterSeconds: number): RateLimitedError {
    return new RateLimitedError('RATE_LIMITED', 'Too many prekey bundle requests. Try again later.', { reason: 'PREKEY_CLAIMS', retryAfterSeconds });
  }
  /** The caller sent too many envelopes or bytes; nothing was stored. */
  static sendRate(retryAfterSeconds: number): RateLimitedError {
    return new RateLimitedError('RATE_LIMITED', 'Too many messages sent. Try again later.', { reason: 'SEND_RATE', retryAfterSeconds });
  }
  /**
   * A recipient device's mailbox holds as many envelopes or bytes as it may until that device
   * acknowledges some; nothing was stored. `field` names the envelope (`input.messages[2]`), and
   * `retryAfterSeconds` is a hint, since space frees when the recipient reads.
   */
  static mailboxFull(field: string, retryAfterSeconds: number): RateLimitedError {
    return new RateLimitedError('RATE_LIMITED', "The recipient's mailbox is full. Try again later.", { reason: 'MAILBOX_FULL', field, retryAfterSeconds });
  }
  /** A WebSocket connection already has the most subscriptions open that it may (`CRADLE_WS_MAX_SUBSCRIPTIONS`). */
  static subscriptionLimit(max: number): RateLimitedError {
    return new RateLimitedError('RATE_LIMITED', `A connection may have at most ${max} subscriptions open at once. Complete one first.`, { reason: 'SUBSCRIPTION_LIMIT', limit: max });
  }
  /** A WebSocket connection already runs the most queries and mutations at once that it may (`CRADLE_WS_MAX_IN_FLIGHT_OPERATIONS`). */
  static inFlightOperationLimit(max: number): RateLimitedError {
    return new RateLimitedError('RATE_LIMITED', `A connection may run at most ${max} queries and mutations at once. Wait for one to finish.`, { reason: 'OPERATION_LIMIT', limit: max });
  }
}

/** The generic error every non-`AppError` becomes before it reaches a client. */
export function internalError(requestId: string): GraphQLError {
  return new GraphQLError('Something went wrong on our side. Quote the request id if you report it.', {
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  });
}
