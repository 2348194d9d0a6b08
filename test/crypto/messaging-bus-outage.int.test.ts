import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quietPeriod } from '../helpers/graphql-client.js';
import { RedisProcess } from '../helpers/redis-process.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, listen, waitForMailboxSubscriptions, type CareSetting } from './messaging-fixtures.js';

describe('mailbox delivery across a Redis outage', () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  let care: CareSetting;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    a = await startTestServer({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `mailbox_outage_${crypto.randomUUID().slice(0, 8)}:` } });
    b = await startTestServer({ shareWith: a });
    care = await careSetting(a);
  });
  afterAll(async () => {
    await closeKits();
    if (redis && !redis.child) await redis.restart();
    await b?.close();
    await a?.close();
    await redis?.kill();
  });

  it('accepts sends while Redis is down and delivers them to a live inbox on another instance once the bus is back', async () => {
    const midwife = kitFor(a, care.midwife);
    const phone = kitFor(b, care.patientUser);
    await midwife.register();
    await phone.register();
    const inbox = listen(phone);
    await waitForMailboxSubscriptions(b, 2);
    await midwife.sendText(care.patientUser.id, 'before the outage');
    await inbox.waitFor(1);

    await redis.kill();
    await midwife.sendText(care.patientUser.id, 'during the outage, one');
    await midwife.sendText(care.patientUser.id, 'during the outage, two');
    await quietPeriod(300);
    expect(inbox.texts()).toEqual(['before the outage']);
    expect(a.logs.some((line) => line.includes('could not announce mailbox news on the bus'))).toBe(true);

    await redis.restart();
    await vi.waitFor(() => expect(b.logs.some((line) => line.includes('redis subscriber resubscribed'))).toBe(true), { timeout: 10_000 });
    await inbox.waitFor(3, 10_000);
    await midwife.sendText(care.patientUser.id, 'after the outage');
    await inbox.waitFor(4);
    await quietPeriod(300);
    expect(inbox.texts()).toEqual(['before the outage', 'during the outage, one', 'during the outage, two', 'after the outage']);
    expect(inbox.errors).toEqual([]);
    inbox.stop();
  });
});
