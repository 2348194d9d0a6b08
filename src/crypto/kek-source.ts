import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FieldEncryptionConfig, KekSource, VaultTransitKmsConfig } from '../config.js';
import { KeyEncryptionKeys, LocalKeyEncryptionKey, type KeyEncryptionKeyProvider } from './key-encryption-key.js';
import { VaultTransitKek } from './vault-transit-kek.js';

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

/**
 * The KEKs the configuration names: the current one and the previous ones (rotation in progress).
 * With a KMS (`config.kms`), the transit key is current and the local KEK (`CRADLE_KEK` or
 * `CRADLE_KEK_FILE`, when set) is a previous one, so `keys:rotate-kek` re-wraps local keys under it.
 */
export function keyEncryptionKeysFromConfig(config: FieldEncryptionConfig): KeyEncryptionKeys {
  const previous = config.previousKeksBase64.map((k): KeyEncryptionKeyProvider => new LocalKeyEncryptionKey(decodeKey(k, 'CRADLE_KEK_PREVIOUS')));
  if (config.kms) {
    const local = config.kek ? [new LocalKeyEncryptionKey(readKekSource(config.kek))] : [];
    return new KeyEncryptionKeys(vaultTransitKek(config.kms), [...local, ...previous]);
  }
  if (!config.kek) throw new KekUnavailableError('No key-encryption key is configured (CRADLE_KEK, CRADLE_KEK_FILE or CRADLE_KMS)');
  return new KeyEncryptionKeys(new LocalKeyEncryptionKey(readKekSource(config.kek)), previous);
}

/** The transit KEK of the configuration; a token file must be readable at start (it is read again before every request). */
function vaultTransitKek(kms: VaultTransitKmsConfig): VaultTransitKek {
  if ('file' in kms.token) {
    let token = '';
    try {
      token = readFileSync(kms.token.file, 'utf8').trim();
    } catch {
      throw new KekUnavailableError(`CRADLE_VAULT_TOKEN_FILE: cannot read ${kms.token.file}`);
    }
    if (!token) throw new KekUnavailableError(`CRADLE_VAULT_TOKEN_FILE: ${kms.token.file} is empty`);
  }
  return new VaultTransitKek({
    address: kms.address,
    mount: kms.mount,
    keyName: kms.keyName,
    namespace: kms.namespace,
    token: kms.token,
    timeoutMs: kms.timeoutMs,
  });
}
