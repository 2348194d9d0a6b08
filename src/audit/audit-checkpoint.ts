import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { AuditCheckpointConfig } from '../config.js';
import type { AppLogger } from '../logger.js';
import { runCheckpointHook } from './audit-checkpoint-hook.js';
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

/** A checkpoint as one line of a checkpoint file (JSON, without the newline), signed with `key`. */
export function signCheckpoint(key: string, checkpoint: AuditCheckpoint): string {
  return JSON.stringify({ ...checkpoint, mac: macOf(key, checkpoint) });
}

/** The validly signed checkpoints of a checkpoint file. */
export interface CheckpointFileContents {
  /** The latest (highest `seq`) checkpoint per tenant. */
  readonly latest: Map<string, AuditCheckpoint>;
  /** Every validly signed checkpoint per tenant, in file order. */
  readonly all: Map<string, AuditCheckpoint[]>;
  /** Lines skipped: unparsable, or signed with another key (a forgery, or a key since replaced). */
  readonly badLines: number;
}

/** Reads the validly signed checkpoints of a checkpoint file (none when it does not exist); lines with a bad signature are skipped and counted. */
export async function readCheckpoints(file: string, key: string): Promise<CheckpointFileContents> {
  const latest = new Map<string, AuditCheckpoint>();
  const all = new Map<string, AuditCheckpoint[]>();
  let badLines = 0;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { latest, all, badLines };
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
      all.set(cp.tenantId, [...(all.get(cp.tenantId) ?? []), cp]);
    } catch {
      badLines += 1;
    }
  }
  return { latest, all, badLines };
}

/** The current chain head of every tenant with audit records, as unsigned checkpoints taken at `at`. */
export async function currentHeads(em: EntityManager, at: Date): Promise<AuditCheckpoint[]> {
  const heads = await em.execute<Array<{ tenant_id: string; seq: string; hash: string }>>(
    `select "tenant_id", "seq", "hash" from "audit_chain_head" where "seq" > 0 order by "tenant_id"`,
  );
  return heads.map((head) => ({ tenantId: head.tenant_id, seq: Number(head.seq), hash: head.hash.trim(), at: at.toISOString() }));
}

/**
 * Writes signed checkpoints of every tenant's audit chain head, at an interval and at shutdown:
 * HMAC-SHA256 with a key of its own from configuration over (tenant, seq, hash, time). Each batch
 * is appended to the checkpoint file (when configured) and handed to the hook (when configured),
 * which ships it off the host (a failed hook is retried with the heads of the next interval).
 * Verification compares the chain with the checkpoints, so rewriting
 * or deleting records (and the chain-head row) is detected, provided a copy of the checkpoints is
 * kept where the database's administrators cannot rewrite it (another host, WORM storage).
 */
export class AuditCheckpoints {
  private timer: NodeJS.Timeout | null = null;
  private readonly written = new Map<string, number>();
  private writing: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly orm: MikroORM,
    private readonly settings: Pick<AuditCheckpointConfig, 'file' | 'key' | 'hook' | 'hookTimeoutMs'>,
    private readonly now: () => number,
    private readonly logger: AppLogger,
  ) {}

  /** The checkpoint file; null when checkpoints only go to the hook. */
  get file(): string | null {
    return this.settings.file;
  }

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

  /** Writes a signed checkpoint for each tenant whose chain moved since the last one; resolves with how many were written. */
  checkpoint(): Promise<number> {
    this.writing = this.writing.catch(() => 0).then(() => this.writeHeads());
    return this.writing;
  }

  private async writeHeads(): Promise<number> {
    const heads = await currentHeads(this.orm.em.fork(), new Date(this.now()));
    const moved = heads.filter((cp) => this.written.get(cp.tenantId) !== cp.seq);
    if (moved.length === 0) return 0;
    const text = `${moved.map((cp) => signCheckpoint(this.settings.key, cp)).join('\n')}\n`;
    const { file, hook } = this.settings;
    if (file) {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, text, { encoding: 'utf8', mode: 0o600 });
    }
    if (hook) {
      const outcome = await runCheckpointHook(hook, text, this.settings.hookTimeoutMs);
      if (outcome.exitCode !== 0) {
        // Not marked as written: the next interval takes these heads again and retries the hook.
        this.logger.error({ exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut }, 'audit checkpoint hook failed');
        return 0;
      }
    }
    for (const cp of moved) this.written.set(cp.tenantId, cp.seq);
    return moved.length;
  }
}
