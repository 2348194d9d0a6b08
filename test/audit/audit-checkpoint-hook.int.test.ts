import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoints } from '../../src/audit/audit-checkpoint.js';
import { TestTenant } from '../helpers/builders.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempCheckpointFile } from './helpers.js';

describe('CRADLE_AUDIT_CHECKPOINT_HOOK', () => {
  const scratch = tempCheckpointFile();
  const dir = join(scratch.file, '..');
  const offHost = join(dir, 'off-host.jsonl');
  const firstRun = join(dir, 'first-run-failed');
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({
      env: {
        // No checkpoint file: the hook is the only place checkpoints go. It fails once, then ships.
        CRADLE_AUDIT_CHECKPOINT_HOOK: `if [ ! -e '${firstRun}' ]; then touch '${firstRun}'; exit 3; fi; cat >> '${offHost}'`,
      },
    });
  });
  afterAll(async () => {
    await ts?.close();
    scratch.remove();
  });

  it('hands each batch of signed lines to the hook, and after a failure (logged with its exit code) retries it at the next checkpoint', async () => {
    const tenant = await TestTenant.create(ts);
    const checkpoints = ts.server.services.auditTrail.checkpoints!;
    expect(checkpoints.file).toBeNull();

    expect(await checkpoints.checkpoint()).toBe(0);
    expect(existsSync(firstRun)).toBe(true);
    expect(existsSync(offHost)).toBe(false);
    const failures = ts.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'audit checkpoint hook failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ exitCode: 3, signal: null, timedOut: false });

    expect(await checkpoints.checkpoint()).toBeGreaterThanOrEqual(1);
    const { latest, badLines } = await readCheckpoints(offHost, ts.server.services.config.auditCheckpoint.key);
    expect(badLines).toBe(0);
    const [head] = await ts.server.database.orm.em.fork().execute<Array<{ seq: string }>>(`select "seq" from "audit_chain_head" where "tenant_id" = ?`, [tenant.id]);
    expect(latest.get(tenant.id)?.seq).toBe(Number(head!.seq));
    expect(readFileSync(offHost, 'utf8')).not.toMatch(/givenName|@test\.example/);
    expect(await checkpoints.checkpoint()).toBe(0);
  });
});
