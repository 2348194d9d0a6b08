import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import { RequestError } from '../errors.js';

/**
 * Refuses a subscription sent over HTTP with BAD_REQUEST (HTTP 400) before anything runs:
 * graphql-js would otherwise call the subscription's resolver as if it were a query field, which
 * fails as a server fault. Subscriptions are served over graphql-ws on the same path.
 */
export function websocketOnlySubscriptionsPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') throw RequestError.subscriptionOverHttp();
        },
      };
    },
  };
}
