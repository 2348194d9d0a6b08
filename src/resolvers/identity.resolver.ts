import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { createUser, login } from '../auth/user.service.js';
import type { RequestContext } from '../context.js';
import { User, type Role } from '../db/entities/index.js';
import { AuthenticationError } from '../errors.js';
import { Auth } from '../schema/auth.directive.js';
import { AuthPayload } from '../schema/identity/auth-payload.type.js';
import { CreateUserInput } from '../schema/identity/create-user.input.js';
import { UserView } from '../schema/identity/user.type.js';

/** Sign-in and user accounts. */
@Resolver()
export class IdentityResolver {
  @Mutation(() => AuthPayload, { description: 'Signs in with e-mail and password.' })
  @Auth.public('CREDENTIALS')
  async login(
    @Arg('email', () => String) email: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: RequestContext,
  ): Promise<AuthPayload> {
    const session = await login(ctx.em, ctx.services.tokens, email, password);
    if (!ctx.access.actor) {
      ctx.access.signIn({ userId: session.user.id, tenantId: session.user.tenantId, role: session.user.role as Role, tokenId: 'login' });
    }
    return { accessToken: session.token, expiresAt: session.expiresAt, user: new UserView(session.user) };
  }

  @Query(() => UserView, { description: 'The signed-in user.' })
  @Auth.category('ACCOUNT')
  async me(@Ctx() ctx: RequestContext): Promise<UserView> {
    const actor = ctx.access.requireActor();
    const user = await ctx.em.findOne(User, { id: actor.userId, tenantId: actor.tenantId, disabledAt: null });
    if (!user) throw AuthenticationError.invalidToken();
    return new UserView(user);
  }

  @Mutation(() => UserView, { description: "Creates a user in the caller's tenant (ADMIN only)." })
  @Auth.roles(['ADMIN'], 'ACCOUNT')
  async createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: RequestContext): Promise<UserView> {
    const actor = ctx.access.requireActor();
    const user = await createUser(ctx.em, { ...input, tenantId: actor.tenantId });
    return new UserView(user);
  }
}
