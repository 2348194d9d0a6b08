import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FieldEncryptionConfig, KekSource } from '../config.js';
import { KeyEncryptionKeys, LocalKeyEncryptionKey } from './key-encryption-key.js';

/** Thrown when the configured KEK cannot be read; the message names the setting, never key material. */
export class KekUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KekUnavailableError';
  }
}

function decodeKey(base64: string, source: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new KekUnavailableError(`${source} does not hold the base64 of 32 bytes`);
  return key;
}

/**
 * Reads a key file, or (development default) creates it with a random key, readable by its owner
 * only (0600). Creation uses exclusive open, so two processes starting at once agree on one key.
 */
function keyFromFile(path: string, createIfMissing: boolean): Buffer {
  try {
    return decodeKey(readFileSync(path, 'utf8'), `The key file ${path}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof KekUnavailableError ? err : new KekUnavailableError(`Cannot read the key file ${path}`);
    if (!createIfMissing) throw new KekUnavailableError(`CRADLE_KEK_FILE: ${path} does not exist`);
  }
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new KekUnavailableError(`Cannot create the key file ${path}`);
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return decodeKey(readFileSync(path, 'utf8'), `The key file ${path}`);
}

/** The 32-byte key of a KEK source (an ephemeral source yields a fresh random key). */
export function readKekSource(source: KekSource): Buffer {
  switch (source.kind) {
    case 'inline':
      return decodeKey(source.keyBase64, 'CRADLE_KEK');
    case 'file':
      return keyFromFile(source.path, source.createIfMissing);
    case 'ephemeral':
      return randomBytes(32);
  }
}

/** The local KEKs the configuration names: the current one and the previous ones (rotation in progress). */
export function keyEncryptionKeysFromConfig(config: FieldEncryptionConfig): KeyEncryptionKeys {
  const current = new LocalKeyEncryptionKey(readKekSource(config.kek));
  const previous = config.previousKeksBase64.map((k) => new LocalKeyEncryptionKey(decodeKey(k, 'CRADLE_KEK_PREVIOUS')));
  return new KeyEncryptionKeys(current, previous);
}
