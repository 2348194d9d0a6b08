import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { openDatabase } from '../db/orm.js';
import { reencryptFields, rotateKeyEncryptionKey, type KekRotationResult, type ReencryptResult } from './key-rotation.js';

/** Usage lines of the key commands, for the command line's help. */
export const KEY_COMMANDS_USAGE = `  keys:rotate-kek
      Re-wraps every data key under CRADLE_KEK (the old KEK in CRADLE_KEK_PREVIOUS); prints {"kekId","rewrapped","unreadable"}.
  keys:reencrypt [--batch N] [--max-batches M]
      Re-encrypts every encrypted value under new data keys (and encrypts legacy plaintext), N rows
      per batch (default 500); resumable: an interrupted run continues where it stopped.`;

/** Runs `keys:rotate-kek` or `keys:reencrypt` against the configured database; returns the JSON to print. */
export async function runKeyCommand(command: 'keys:rotate-kek' | 'keys:reencrypt', args: string[], config: Readonly<Config>): Promise<KekRotationResult | ReencryptResult> {
  const { values } = parseArgs({ args, options: { batch: { type: 'string' }, 'max-batches': { type: 'string' } }, strict: true });
  const batchSize = Number(values.batch ?? 500);
  const maxBatches = values['max-batches'] === undefined ? undefined : Number(values['max-batches']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new Error('--batch must be a whole number from 1 to 100000');
  if (maxBatches !== undefined && (!Number.isInteger(maxBatches) || maxBatches < 1)) throw new Error('--max-batches must be a positive whole number');
  const db = await openDatabase(config.database, { fieldEncryption: config.fieldEncryption, requireReadableKeys: true, owner: `cradle ${command}` });
  try {
    return command === 'keys:rotate-kek'
      ? await rotateKeyEncryptionKey(db.fieldKeys)
      : await reencryptFields(db.fieldKeys, { batchSize, ...(maxBatches !== undefined ? { maxBatches } : {}) });
  } finally {
    await db.close();
  }
}
