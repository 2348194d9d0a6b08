import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { SignedIn } from '../auth/session.service.js';
import { AccountAdministrationService } from '../auth/account-administration.service.js';
import { PatientService } from '../care/patient.service.js';
import type { RequestContext } from '../context.js';
import { User } from '../db/entities/index.js';
import { AuthenticationError } from '../errors.js';
import { Auth } from '../schema/auth.directive.js';
import { AuthPayload } from '../schema/identity/auth-payload.type.js';
import { CreateUserInput } from '../schema/identity/create-user.input.js';
import { PatientView } from '../schema/care/patient.type.js';
import { UserView } from '../schema/identity/user.type.js';

/** Sign-in, sessions and user accounts. */
@Resolver(() => UserView)
export class IdentityResolver {
  @Mutation(() => AuthPayload, {
    description:
      'Signs in with e-mail and password, plus totp when the account has a second factor: a current code from the authenticator app, or an unused recovery code (which this spends). Repeated failures (TOTP ones included) lock the account and the client address out for a while (RATE_LIMITED). Once the password is right, UNAUTHENTICATED carries extensions.reason TOTP_REQUIRED, TOTP_INVALID or TOTP_ENROLMENT_REQUIRED (with an enrolmentToken for beginTotpEnrolment and confirmTotpEnrolment).',
  })
  @Auth.public('CREDENTIALS')
  async login(
    @Arg('email', () => String) email: string,
    @Arg('password', () => String) password: string,
    @Arg('totp', () => String, { nullable: true }) totp: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<AuthPayload> {
    return payloadOf(ctx, await ctx.services.sessions.login(ctx.authEm, email, password, { requestId: ctx.requestId, clientIp: ctx.clientIp, userAgent: ctx.userAgent }, totp ?? null));
  }

  @Mutation(() => AuthPayload, {
    description: 'Exchanges a refresh token (single use) for new tokens. Reusing one ends every session of its login.',
  })
  @Auth.public('CREDENTIALS')
  async refreshSession(@Arg('refreshToken', () => String) refreshToken: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return payloadOf(ctx, await ctx.services.sessions.refresh(ctx.authEm, refreshToken));
  }

  @Mutation(() => Boolean, { description: "Signs out: the caller's access and refresh tokens stop working at once." })
  @Auth.category('CREDENTIALS')
  async logout(@Ctx() ctx: RequestContext): Promise<boolean> {
    const actor = ctx.access.requireActor();
    if (!actor.sessionId) throw AuthenticationError.invalidToken();
    await ctx.services.sessions.logout(ctx.em, actor.sessionId);
    return true;
  }

  @Query(() => UserView, { description: 'The signed-in user.' })
  @Auth.category('ACCOUNT')
  async me(@Ctx() ctx: RequestContext): Promise<UserView> {
    const actor = ctx.access.requireActor();
    const user = await ctx.em.findOne(User, { id: actor.userId, tenantId: actor.tenantId, disabledAt: null });
    if (!user) throw AuthenticationError.invalidToken();
    return new UserView(user);
  }

  @FieldResolver(() => PatientView, {
    nullable: true,
    description:
      "Your own patient record, when you are signed in as a PATIENT and this user is you: me { patient { id } } gives the patientId the logging mutations take. Null for every other role, for other users, before a record is linked to your account, and in the login and refreshSession payloads (they run before your tenant is known; ask me after signing in).",
  })
  @Auth.category('OPERATIONAL')
  async patient(@Root() user: UserView, @Ctx() ctx: RequestContext): Promise<PatientView | null> {
    if (user.id !== ctx.access.requireActor().userId) return null;
    const own = await new PatientService(ctx).own();
    return own ? new PatientView(own, ctx.services.now()) : null;
  }

  @Mutation(() => UserView, {
    description:
      "Creates a user in the caller's tenant (ADMIN only). The password must pass the password policy (BAD_USER_INPUT on input.password with extensions.reason TOO_SHORT, TOO_LONG, COMMON, PATTERN or CONTEXT). Creating a clinical account raises an ADMIN_CLINICAL_PROVISIONING compliance event.",
  })
  @Auth.roles(['ADMIN'], 'ACCOUNT')
  async createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: RequestContext): Promise<UserView> {
    return new UserView(await new AccountAdministrationService(ctx).create(input));
  }
}

/** The payload of a new session; the operation then acts as its user, so `user { … }` resolves. */
function payloadOf(ctx: RequestContext, signedIn: SignedIn): AuthPayload {
  if (!ctx.access.actor) ctx.access.signIn(signedIn.actor);
  return { accessToken: signedIn.accessToken, refreshToken: signedIn.refreshToken, expiresAt: signedIn.expiresAt, user: new UserView(signedIn.user) };
}
