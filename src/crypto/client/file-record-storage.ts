import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordKind, RecordStorage } from './record-storage.js';
import { openSignalStores, type SignalStores } from './signal-stores.js';

/** Owner-only: the directory and its sub-directories (0700) and every record file (0600). */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * A file name for a record id: URI-encoded (no `/`), with a leading dot escaped, so record files
 * never start with `.`, which marks the temporary files of unfinished writes.
 */
const fileName = (id: string) => encodeURIComponent(id).replace(/^\./, '%2E');

/** Makes a rename or unlink in `directory` durable (the directory entry itself is fsynced). */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Records as files in a directory, one sub-directory per kind, one file per record: the device's
 * private keys and sessions on the client's disk. Every write goes to a temporary file in the same
 * directory, is fsynced, then renamed over the record and the directory fsynced, so a crash leaves
 * either the old record or the new one, never a torn one. The directory tree is 0700 and the
 * files 0600 (created so, whatever the umask; an existing directory is narrowed to 0700). One
 * process at a time may use a directory. Temporary files left by a crash are removed by {@link open}.
 */
export class FileRecordStorage implements RecordStorage {
  private readonly created = new Set<RecordKind>();

  private constructor(readonly directory: string) {}

  /** Opens (creating it if needed) the storage in `directory`, and removes what unfinished writes left. */
  static async open(directory: string): Promise<FileRecordStorage> {
    await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
    await chmod(directory, DIRECTORY_MODE);
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const kindDirectory = join(directory, entry.name);
      for (const file of await readdir(kindDirectory)) if (file.startsWith('.')) await unlink(join(kindDirectory, file));
    }
    return new FileRecordStorage(directory);
  }

  private async kindDirectory(kind: RecordKind): Promise<string> {
    const path = join(this.directory, kind);
    if (!this.created.has(kind)) {
      await mkdir(path, { recursive: true, mode: DIRECTORY_MODE });
      this.created.add(kind);
    }
    return path;
  }

  async get(kind: RecordKind, id: string): Promise<Uint8Array<ArrayBuffer> | null> {
    try {
      return new Uint8Array(await readFile(join(this.directory, kind, fileName(id))));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async put(kind: RecordKind, id: string, bytes: Uint8Array): Promise<void> {
    const directory = await this.kindDirectory(kind);
    const target = join(directory, fileName(id));
    const temporary = join(directory, `.${fileName(id)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temporary, 'wx', FILE_MODE);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await unlink(temporary).catch(() => undefined);
      throw err;
    }
    await handle.close();
    await rename(temporary, target);
    await syncDirectory(directory);
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    const directory = join(this.directory, kind);
    try {
      await unlink(join(directory, fileName(id)));
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    await syncDirectory(directory);
  }

  async ids(kind: RecordKind): Promise<string[]> {
    try {
      return (await readdir(join(this.directory, kind))).filter((file) => !file.startsWith('.')).map(decodeURIComponent);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }
}

/**
 * The Signal stores of one device kept in `directory` (see {@link FileRecordStorage}): opened again
 * after a restart, they hold the same identity, prekeys, sessions and kit state. A new directory
 * gets a new identity.
 */
export async function openFileStores(directory: string): Promise<SignalStores> {
  return openSignalStores(await FileRecordStorage.open(directory));
}
