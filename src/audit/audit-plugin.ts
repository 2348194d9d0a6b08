import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';

/**
 * Writes each HTTP operation's audit records before its response is sent: Apollo awaits
 * `willSendResponse` before handing the response back, so the records are durable first. If the
 * audit cannot be written, the response carries no data (a read that cannot be audited is not served).
 */
export function auditPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue: ctx, response }) {
          try {
            await ctx.phiAccess.flush(ctx.services.audit, ctx.access.actor, { requestId: ctx.requestId, clientIp: ctx.clientIp, userAgent: ctx.userAgent });
          } catch (err) {
            ctx.logger.error({ err }, 'audit flush failed; response withheld');
            if (response.body.kind === 'single') {
              response.body.singleResult.data = null;
              response.body.singleResult.errors = [{ message: 'Something went wrong on our side.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
            }
          }
        },
      };
    },
  };
}
