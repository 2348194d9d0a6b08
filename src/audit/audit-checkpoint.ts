import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppLogger } from '../logger.js';
import { canonicalJson } from './audit-hash.js';
import type { ChainHeadProof } from './audit-chain.js';

/** One signed statement of a tenant's chain head at a time: one line of the checkpoint file. */
export interface AuditCheckpoint extends ChainHeadProof {
  readonly tenantId: string;
  /** When it was taken (ISO 8601). */
  readonly at: string;
}

function macOf(key: string, checkpoint: AuditCheckpoint): string {
  const body = canonicalJson({ tenantId: checkpoint.tenantId, seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at });
  return createHmac('sha256', key).update(body, 'utf8').digest('hex');
}

/** Reads the latest validly signed checkpoint per tenant from a checkpoint file; lines with a bad signature are skipped and counted. */
export async function readCheckpoints(file: string, key: string): Promise<{ latest: Map<string, AuditCheckpoint>; badLines: number }> {
  const latest = new Map<string, AuditCheckpoint>();
  let badLines = 0;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { latest, badLines };
    throw err;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as AuditCheckpoint & { mac: string };
      const cp: AuditCheckpoint = { tenantId: String(parsed.tenantId), seq: Number(parsed.seq), hash: String(parsed.hash), at: String(parsed.at) };
      const expected = Buffer.from(macOf(key, cp), 'hex');
      const given = Buffer.from(String(parsed.mac), 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        badLines += 1;
        continue;
      }
      const previous = latest.get(cp.tenantId);
      if (!previous || cp.seq >= previous.seq) latest.set(cp.tenantId, cp);
    } catch {
      badLines += 1;
    }
  }
  return { latest, badLines };
}

/**
 * Writes signed checkpoints of every tenant's audit chain head to an append-only file outside the
 * database, at an interval and at shutdown: HMAC-SHA256 with a key from configuration over
 * (tenant, seq, hash, time). Verification compares the chain with the latest checkpoint, so
 * deleting the newest records (and rewinding the chain-head row) is detected. Keep the file on
 * storage the database's administrators cannot rewrite (another host, WORM storage) for that to hold.
 */
export class AuditCheckpoints {
  private timer: NodeJS.Timeout | null = null;
  private readonly written = new Map<string, number>();
  private writing: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly orm: MikroORM,
    readonly file: string,
    private readonly key: string,
    private readonly now: () => number,
    private readonly logger: AppLogger,
  ) {}

  /** Starts writing every `intervalMs` milliseconds. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.checkpoint().catch((err: unknown) => this.logger.error({ err }, 'audit checkpoint failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and writes a last checkpoint. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checkpoint();
  }

  /** Appends a signed checkpoint for each tenant whose chain moved since the last one; resolves with how many were written. */
  checkpoint(): Promise<number> {
    this.writing = this.writing.catch(() => 0).then(() => this.writeHeads());
    return this.writing;
  }

  private async writeHeads(): Promise<number> {
    const heads = await this.orm.em.fork().execute<Array<{ tenant_id: string; seq: string; hash: string }>>(
      `select "tenant_id", "seq", "hash" from "audit_chain_head" where "seq" > 0`,
    );
    const at = new Date(this.now()).toISOString();
    const lines: string[] = [];
    for (const head of heads) {
      const seq = Number(head.seq);
      if (this.written.get(head.tenant_id) === seq) continue;
      const cp: AuditCheckpoint = { tenantId: head.tenant_id, seq, hash: head.hash.trim(), at };
      lines.push(JSON.stringify({ ...cp, mac: macOf(this.key, cp) }));
      this.written.set(head.tenant_id, seq);
    }
    if (lines.length === 0) return 0;
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${lines.join('\n')}\n`, { encoding: 'utf8', mode: 0o600 });
    return lines.length;
  }
}
