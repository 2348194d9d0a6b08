import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';

/**
 * Answers an HTTP operation with 503 when it produced no data because the service was unavailable
 * (an error the normaliser marked `retryable`, such as the database being unreachable), so that
 * clients and load balancers treat it as the transient failure it is rather than as a bug. A
 * failure while the context is built (the session lookup) carries its 503 itself.
 */
export function unavailableStatusPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (data == null && errors?.some((e) => e.extensions?.['retryable'] === true)) response.http.status = 503;
        },
      };
    },
  };
}
