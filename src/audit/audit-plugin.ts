import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/database-unavailable.js';
import { normaliseError } from '../error-normaliser.js';
import { UnauditedResultError } from '../errors.js';

/**
 * Writes each HTTP operation's audit records before its response is sent: Apollo awaits
 * `willSendResponse` before handing the response back, so the records are durable first. If the
 * audit cannot be written, the response carries no data (a read that cannot be audited is not served);
 * when that is because the database is unreachable, the error says `retryable` and the status is
 * 503, unless a mutation had already been applied: that one says so and `retryable: false`
 * ({@link UnauditedResultError}), as a retry would apply it twice.
 */
export function auditPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue: ctx, response, operation }) {
          try {
            await ctx.phiAccess.flush(ctx.services.audit, ctx.access.actor, { requestId: ctx.requestId, clientIp: ctx.clientIp, userAgent: ctx.userAgent });
          } catch (err) {
            ctx.logger.error({ err }, 'audit flush failed; response withheld');
            const single = response.body.kind === 'single' ? response.body.singleResult : null;
            const applied = operation?.operation === 'mutation' && single?.data != null;
            const retryable = isDatabaseUnavailable(err) && !applied;
            if (single) {
              single.data = null;
              single.errors = [normaliseError({ message: '' }, applied ? UnauditedResultError.mutationApplied() : err)];
            }
            if (retryable) response.http.status = 503;
          }
        },
      };
    },
  };
}
