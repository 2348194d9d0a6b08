import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { setTenantRequiresTotp, tenantRequiresTotp, TotpService } from '../auth/totp.service.js';
import type { RequestContext } from '../context.js';
import { User } from '../db/entities/index.js';
import { AuthenticationError } from '../errors.js';
import { Auth } from '../schema/auth.directive.js';
import { TenantSecurityPolicy } from '../schema/identity/tenant-security-policy.type.js';
import { TotpEnrolment, TotpRecoveryCodes } from '../schema/identity/totp.type.js';

const ENROLMENT_TOKEN = {
  nullable: true,
  description: 'The enrolmentToken of a TOTP_ENROLMENT_REQUIRED login, for a clinician who cannot sign in before enrolling. Omit it when signed in.',
} as const;

/** The TOTP second factor: enrolment, removal, and the tenant policy that requires it of clinicians. */
@Resolver()
export class TotpResolver {
  @Mutation(() => TotpEnrolment, {
    description:
      'Starts enrolling a TOTP authenticator: returns a new secret (replacing an unconfirmed one). CONFLICT if a factor is already enabled. Signed in, or with an enrolmentToken.',
  })
  @Auth.public('CREDENTIALS')
  async beginTotpEnrolment(
    @Arg('enrolmentToken', () => String, ENROLMENT_TOKEN) enrolmentToken: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<TotpEnrolment> {
    const service = new TotpService(ctx.services.now);
    return service.begin(ctx.authEm, await enrollingUser(ctx, service, enrolmentToken));
  }

  @Mutation(() => TotpRecoveryCodes, {
    description:
      'Enables the factor with a current code from the authenticator app and returns 10 single-use recovery codes, shown once. Wrong codes count towards login lockout. After enrolling with an enrolmentToken, sign in again with the code.',
  })
  @Auth.public('CREDENTIALS')
  async confirmTotpEnrolment(
    @Arg('code', () => String) code: string,
    @Arg('enrolmentToken', () => String, ENROLMENT_TOKEN) enrolmentToken: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<TotpRecoveryCodes> {
    const service = new TotpService(ctx.services.now);
    const recoveryCodes = await service.confirm(ctx.authEm, await enrollingUser(ctx, service, enrolmentToken), code, ctx.clientIp);
    return { recoveryCodes };
  }

  @Mutation(() => Boolean, {
    description: "Turns the caller's TOTP factor off, given a current code or an unused recovery code. Wrong codes count towards login lockout.",
  })
  @Auth.category('CREDENTIALS')
  async disableTotp(@Arg('code', () => String) code: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    await new TotpService(ctx.services.now).disable(ctx.authEm, await signedInUser(ctx), code, ctx.clientIp);
    return true;
  }

  @Query(() => TenantSecurityPolicy, { description: "The caller's tenant's sign-in requirements (ADMIN only)." })
  @Auth.roles(['ADMIN'], 'OPERATIONAL')
  async tenantSecurityPolicy(@Ctx() ctx: RequestContext): Promise<TenantSecurityPolicy> {
    const actor = ctx.access.requireActor();
    return { requireTotpForClinicians: await tenantRequiresTotp(ctx.em, actor.tenantId) };
  }

  @Mutation(() => TenantSecurityPolicy, {
    description:
      "Sets the caller's tenant's sign-in requirements (ADMIN only). Applies from each user's next login; sessions already open run to their expiry.",
  })
  @Auth.roles(['ADMIN'], 'OPERATIONAL')
  async setTenantSecurityPolicy(
    @Arg('requireTotpForClinicians', () => Boolean) requireTotpForClinicians: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<TenantSecurityPolicy> {
    const actor = ctx.access.requireActor();
    return { requireTotpForClinicians: await setTenantRequiresTotp(ctx.em, actor.tenantId, requireTotpForClinicians) };
  }
}

/** The signed-in caller's account, or UNAUTHENTICATED. */
async function signedInUser(ctx: RequestContext): Promise<User> {
  const actor = ctx.access.requireActor();
  // Second-factor changes are authentication steps (they count towards lockout): see RequestContext.authEm.
  const user = await ctx.authEm.findOne(User, { id: actor.userId, tenantId: actor.tenantId, disabledAt: null });
  if (!user) throw AuthenticationError.invalidToken();
  return user;
}

/**
 * Whose factor an enrolment mutation acts on: the enrolment token's user when one is given, else
 * the signed-in caller. Neither: UNAUTHENTICATED. These are the only operations an enrolment token
 * opens; it is not a session.
 */
function enrollingUser(ctx: RequestContext, service: TotpService, enrolmentToken: string | null | undefined): Promise<User> {
  if (enrolmentToken) return service.userForEnrolmentToken(ctx.authEm, enrolmentToken);
  return signedInUser(ctx);
}
