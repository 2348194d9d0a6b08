import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { AccountAdministrationService } from '../auth/account-administration.service.js';
import type { RequestContext } from '../context.js';
import { Auth } from '../schema/auth.directive.js';
import { UserView } from '../schema/identity/user.type.js';

/** An ADMIN's account actions beyond `createUser`. */
@Resolver()
export class AccountAdministrationResolver {
  @Mutation(() => UserView, {
    description:
      "Disables (or re-enables) an account of the caller's tenant (ADMIN). Disabling ends all its sessions at once (open WebSockets close with 4401) and refuses its logins and refreshes.",
  })
  @Auth.roles(['ADMIN'], 'ACCOUNT')
  async setUserDisabled(
    @Arg('userId', () => ID) userId: string,
    @Arg('disabled', () => Boolean) disabled: boolean,
    @Ctx() ctx: RequestContext,
  ): Promise<UserView> {
    return new UserView(await new AccountAdministrationService(ctx).setDisabled(userId, disabled));
  }

  @Mutation(() => Boolean, {
    description:
      "Resets a lost second factor (ADMIN): removes the account's TOTP authenticator and recovery codes and ends its sessions. True if it had one. Where the tenant requires TOTP, the user enrols again at the next login.",
  })
  @Auth.roles(['ADMIN'], 'CREDENTIALS')
  async resetSecondFactor(@Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return new AccountAdministrationService(ctx).resetSecondFactor(userId);
  }
}
