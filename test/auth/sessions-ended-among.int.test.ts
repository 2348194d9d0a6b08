import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, TestTenant } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The session id an access token carries. */
const sessionOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

describe('SessionService.endedAmong (the re-check after a bus outage)', () => {
  let ts: TestServer;
  let tenant: TestTenant;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('names the sessions that ended, with why, and leaves active ones out', async () => {
    const user = await tenant.user('MIDWIFE');
    const active = sessionOf(user.token);
    const loggedOutToken = await signIn(ts.url, user.email);
    const loggedOut = sessionOf(loggedOutToken);
    await gqlOk(ts.url, 'mutation { logout }', {}, loggedOutToken);
    const unknown = crypto.randomUUID();
    const ended = await ts.server.services.sessions.endedAmong(ts.server.database.orm.em.fork(), [active, loggedOut, unknown]);
    expect(ended).toEqual(
      expect.arrayContaining([
        { sessionIds: [loggedOut], reason: 'LOGOUT' },
        { sessionIds: [unknown], reason: 'EXPIRED' },
      ]),
    );
    expect(ended.flatMap((e) => e.sessionIds)).not.toContain(active);
  });
});
