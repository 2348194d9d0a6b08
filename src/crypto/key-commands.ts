import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { openDatabase } from '../db/orm.js';
import { reencryptFields, rotateKeyEncryptionKey, type KekRotationResult, type ReencryptResult } from './key-rotation.js';

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
