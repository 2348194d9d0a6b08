import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** The file in a data directory that names its owner; created atomically, removed on release. */
export const OWNER_LOCK_FILE = 'owner.lock';

/** The owner name the server records (the command line records `cradle <command>`). */
export const SERVER_OWNER = 'server';

/** Exit code of a process refused because another one owns the data directory (EX_TEMPFAIL: try again later). */
export const DATA_DIR_IN_USE_EXIT_CODE = 75;

/** A takeover guard older than this is left over by a process that died while taking over, in milliseconds. */
const STALE_GUARD_MS = 10_000;

/** Who owns an embedded data directory, as recorded in its lock file. */
export interface DataDirOwner {
  readonly pid: number;
  /** `server`, or the command line's `cradle <command>`. */
  readonly command: string;
  readonly host: string;
  /** When the owner took the directory, ISO 8601. */
  readonly startedAt: string;
  /** Distinguishes this owner from a later process that reuses its pid. */
  readonly token: string;
}

/** Thrown when another live process owns the data directory; nothing was written into it. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
    /** Whether the owner runs on this host (so its liveness was checked). */
    readonly local: boolean,
  ) {
    super(inUseMessage(dataDir, owner, local));
    this.name = 'DataDirInUseError';
  }

  /** Whether the owner is a running Cradle server on this machine (which may take operator commands). */
  get ownerIsLocalServer(): boolean {
    return this.local && this.owner.command === SERVER_OWNER;
  }
}

function inUseMessage(dataDir: string, owner: DataDirOwner, local: boolean): string {
  const who = owner.command === SERVER_OWNER ? 'the Cradle server' : `\`${owner.command}\``;
  const lockFile = join(dataDir, OWNER_LOCK_FILE);
  if (!local) {
    return (
      `The embedded database in ${dataDir} is in use by ${who} (pid ${owner.pid} on host ${owner.host}, started ${owner.startedAt}). ` +
      `Stop it there first. If it no longer runs, delete ${lockFile}.`
    );
  }
  const then =
    owner.command === SERVER_OWNER
      ? 'Stop it first (Ctrl-C, or SIGTERM to that pid), then run this command again; use DATABASE_URL (PostgreSQL) to run commands beside a running server.'
      : 'Wait for it to finish, then run this command again.';
  return `The embedded database in ${dataDir} is in use by ${who} (pid ${owner.pid}, started ${owner.startedAt}). ${then}`;
}

/** An owner lock held by this process. */
export interface DataDirLock {
  readonly dataDir: string;
  readonly owner: DataDirOwner;
  /** Removes the lock file (if it is still this owner's). Idempotent. */
  release(): void;
}

/** Options of {@link acquireDataDirLock}. */
export interface AcquireOptions {
  /** Told when a lock left by a process that no longer runs is taken over (to log it). */
  readonly onTakeover?: (stale: DataDirOwner) => void;
  /** The clock, in milliseconds since the epoch (the recorded start time). */
  readonly now?: () => number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a lock names this process's pid but was taken before this process started: left by an
 * earlier process that had the same pid (a container restarted after a crash runs as pid 1 again).
 */
function isEarlierLifeOfThisPid(held: DataDirOwner): boolean {
  return held.pid === process.pid && Date.parse(held.startedAt) < performance.timeOrigin - 1000;
}

function readOwner(path: string): { raw: string; owner: DataDirOwner | null } | null {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const value = JSON.parse(raw) as Partial<DataDirOwner>;
    if (typeof value.pid === 'number' && typeof value.command === 'string' && typeof value.host === 'string' && typeof value.startedAt === 'string') {
      return { raw, owner: { token: '', ...value } as DataDirOwner };
    }
  } catch {
    // An unreadable lock is handled below like one of an unknown owner.
  }
  return { raw, owner: null };
}

/** Creates `target` holding `content` atomically: fully written, or not at all (EEXIST when taken). */
function createExclusive(target: string, content: string): boolean {
  const temp = `${target}.${process.pid}.${crypto.randomUUID()}.tmp`;
  writeFileSync(temp, content, { mode: 0o644 });
  try {
    linkSync(temp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

/**
 * Removes the lock at `path` if it still holds exactly `staleRaw`, under a takeover guard so that
 * two processes finding the same stale lock cannot both take it (the second sees the first's
 * fresh lock). Returns false when another process is taking over at this moment.
 */
function removeStaleLock(path: string, staleRaw: string): boolean {
  const guard = `${path}.takeover`;
  if (!createExclusive(guard, String(process.pid))) {
    try {
      if (Date.now() - statSync(guard).mtimeMs > STALE_GUARD_MS) unlinkSync(guard);
    } catch {
      // Removed meanwhile by the process that held it.
    }
    return false;
  }
  try {
    if (readOwner(path)?.raw === staleRaw) unlinkSync(path);
    return true;
  } finally {
    unlinkSync(guard);
  }
}

/**
 * Takes the owner lock of an embedded data directory, or throws {@link DataDirInUseError} naming
 * the live process that holds it. A lock left by a process of this host that no longer runs is
 * taken over (and `onTakeover` told). The lock is released by `release()` and, failing that, when
 * this process exits; a process killed outright leaves it behind, to be taken over as stale.
 * A pid reused by an unrelated process after a crash keeps the lock held (the message says which
 * file to delete), except by this process itself.
 */
export async function acquireDataDirLock(dataDir: string, command: string, options: AcquireOptions = {}): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, OWNER_LOCK_FILE);
  const owner: DataDirOwner = {
    pid: process.pid,
    command,
    host: hostname(),
    startedAt: new Date((options.now ?? Date.now)()).toISOString(),
    token: crypto.randomUUID(),
  };
  const content = `${JSON.stringify(owner)}\n`;
  let takenOver: DataDirOwner | null = null;
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(path, content)) break;
    const existing = readOwner(path);
    if (existing === null) continue;
    const held = existing.owner;
    if (held === null) {
      // Written by something other than Cradle: never removed silently.
      throw new DataDirInUseError(dir, { pid: 0, command: 'an unknown process', host: 'unknown', startedAt: 'unknown', token: '' }, false);
    }
    const local = held.host === owner.host;
    if (!local || (isAlive(held.pid) && !isEarlierLifeOfThisPid(held))) throw new DataDirInUseError(dir, held, local);
    if (removeStaleLock(path, existing.raw)) {
      takenOver = held;
    } else if (attempt > 40) {
      throw new DataDirInUseError(dir, held, local);
    } else {
      await delay(50);
    }
  }
  if (takenOver) options.onTakeover?.(takenOver);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      if (readOwner(path)?.raw === content) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on('exit', release);
  return { dataDir: dir, owner, release };
}
