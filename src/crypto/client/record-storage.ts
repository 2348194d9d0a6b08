/**
 * Where the client kit's Signal stores keep their records: serialized libsignal records (and a
 * little JSON) as bytes, by kind and id. The stores in `signal-stores.ts` are written once over
 * this interface; {@link MemoryRecordStorage} and `FileRecordStorage` (`file-record-storage.ts`)
 * decide only where the bytes live.
 */

/**
 * The kinds of record one device keeps. Every kind but `trusted-identities` and `device` holds
 * secrets (private keys or ratchet chain keys).
 */
export type RecordKind =
  | 'identity'
  | 'trusted-identities'
  | 'sessions'
  | 'pre-keys'
  | 'signed-pre-keys'
  | 'kyber-pre-keys'
  | 'kyber-last-resort-pre-keys'
  | 'kyber-last-resort-uses'
  | 'device';

/** Byte records by kind and id. A `put` or `delete` is complete (durable, for a file) when its promise resolves. */
export interface RecordStorage {
  get(kind: RecordKind, id: string): Promise<Uint8Array<ArrayBuffer> | null>;
  put(kind: RecordKind, id: string, bytes: Uint8Array): Promise<void>;
  /** Removes a record; removing one that does not exist is not an error. */
  delete(kind: RecordKind, id: string): Promise<void>;
  /** The ids of every record of a kind, in no particular order. */
  ids(kind: RecordKind): Promise<string[]>;
}

/** Records in process memory: gone when the process ends (tests, short-lived tools). */
export class MemoryRecordStorage implements RecordStorage {
  private readonly kinds = new Map<RecordKind, Map<string, Uint8Array<ArrayBuffer>>>();

  private of(kind: RecordKind): Map<string, Uint8Array<ArrayBuffer>> {
    let records = this.kinds.get(kind);
    if (!records) this.kinds.set(kind, (records = new Map()));
    return records;
  }

  async get(kind: RecordKind, id: string): Promise<Uint8Array<ArrayBuffer> | null> {
    return this.of(kind).get(id) ?? null;
  }

  async put(kind: RecordKind, id: string, bytes: Uint8Array): Promise<void> {
    this.of(kind).set(id, new Uint8Array(bytes));
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    this.of(kind).delete(id);
  }

  async ids(kind: RecordKind): Promise<string[]> {
    return [...this.of(kind).keys()];
  }
}
