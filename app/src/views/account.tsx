import { useEffect, useState } from 'react';
import { GraphQLRequestError } from '../api/graphql-client.js';
import { useSession } from '../api/session-context.js';
import { graphql } from '../graphql/gql.js';
import type { MyAccountQuery } from '../graphql/graphql.js';

const MyAccountDocument = graphql(`
  query MyAccount {
    me { id displayName email role tenantId }
  }
`);

/** The signed-in user's account, as the server reports it (`me`). */
export function Account() {
  const session = useSession();
  const [me, setMe] = useState<MyAccountQuery['me'] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    session.request(MyAccountDocument, {}).then(
      (result) => live && setMe(result.me),
      (caught: unknown) => live && setError(caught instanceof GraphQLRequestError ? caught.message : 'The account could not be loaded.'),
    );
    return () => {
      live = false;
    };
  }, [session]);

  return (
    <section aria-labelledby="account-heading">
      <h1 id="account-heading">Your account</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {me && (
        <dl className="facts">
          <dt>Name</dt>
          <dd>{me.displayName}</dd>
          <dt>E-mail</dt>
          <dd>{me.email}</dd>
          <dt>Role</dt>
          <dd>{roleLabel(me.role)}</dd>
        </dl>
      )}
    </section>
  );
}

/** A role as people say it ("Mental health specialist"). */
export function roleLabel(role: string): string {
  const words = role.toLowerCase().split('_').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
