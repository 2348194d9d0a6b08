import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FieldKeyRing, WrongKeyEncryptionKeyError, type RawExecutor } from '../../src/crypto/field-key-ring.js';
import { KeyEncryptionKeys, LocalKeyEncryptionKey } from '../../src/crypto/key-encryption-key.js';

interface KeyRow {
  id: string;
  tenant_id: string | null;
  purpose: string;
  kek_id: string;
  wrapped_key: string;
  uses: number;
  max_uses: number;
  created_at: number;
  retired_at: number | null;
}

/**
 * The `field_data_key` table in memory, answering exactly the statements `FieldKeyRing` sends
 * (unit tests do no I/O). Each statement is recognised by its opening words; anything else fails.
 */
class MemoryKeyTable {
  readonly rows: KeyRow[] = [];
  private clock = 0;
  readonly tenants: string[] = [];
  /** The transaction each DATA key was created in (undefined: on a connection of its own). */
  readonly createdIn = new Map<string, unknown>();

  readonly exec: RawExecutor = async (sql, params, ctx) => {
    const text = sql.replace(/\s+/g, ' ').trim();
    if (text.startsWith(`insert into "field_data_key"`) && text.includes(`'INDEX'`)) {
      if (!this.rows.some((r) => r.purpose === 'INDEX')) this.insert(params[0], null, 'INDEX', params[1], params[2], 0, 0);
      return [];
    }
    if (text.startsWith(`insert into "field_data_key"`)) {
      this.insert(params[0], params[1], 'DATA', params[2], params[3], Number(params[4]), Number(params[5]));
      this.createdIn.set(String(params[0]), ctx);
      return [];
    }
    if (text.startsWith(`select "id", "tenant_id", "purpose", "kek_id", "wrapped_key" from "field_data_key" where "purpose" = 'INDEX'`)) {
      return this.rows.filter((r) => r.purpose === 'INDEX') as never;
    }
    if (text.startsWith(`select "id" from "tenant"`)) return this.tenants.map((id) => ({ id }));
    if (text.includes(`where "tenant_id" = ? and "purpose" = 'DATA'`)) {
      const active = this.rows.filter((r) => r.tenant_id === params[0] && r.retired_at === null && r.uses < r.max_uses);
      return active.sort((a, b) => b.created_at - a.created_at).slice(0, 1) as never;
    }
    if (text.startsWith(`update "field_data_key" set "uses" = "uses" + ?`)) {
      const row = this.rows.find((r) => r.id === params[1] && r.retired_at === null && r.uses + Number(params[0]) <= r.max_uses);
      if (!row) return [];
      row.uses += Number(params[0]);
      return [{ uses: row.uses }];
    }
    if (text.includes(`where "id" in (?)`)) return this.rows.filter((r) => (params[0] as string[]).includes(r.id) && r.purpose === 'DATA') as never;
    throw new Error(`Unexpected statement: ${text}`);
  };

  private insert(id: unknown, tenantId: unknown, purpose: string, kekId: unknown, wrapped: unknown, uses: number, maxUses: number): void {
    this.rows.push({
      id: String(id),
      tenant_id: tenantId === null ? null : String(tenantId),
      purpose,
      kek_id: String(kekId),
      wrapped_key: String(wrapped),
      uses,
      max_uses: maxUses,
      created_at: this.clock++,
      retired_at: null,
    });
  }
}

const tenant = '11111111-1111-4111-8111-111111111111';
const kek = () => new KeyEncryptionKeys(new LocalKeyEncryptionKey(randomBytes(32)));

async function startedRing(table: MemoryKeyTable, keks = kek(), maxUsesPerKey = 3): Promise<FieldKeyRing> {
  const ring = new FieldKeyRing(keks, { maxUsesPerKey, reservation: 3, singleConnection: false });
  ring.attach(table.exec);
  await ring.start();
  return ring;
}

describe('field key ring', () => {
  it('rolls over to a new data key once a key has been used its maximum number of times', async () => {
    const table = new MemoryKeyTable();
    const ring = await startedRing(table);
    const used: string[] = [];
    for (let i = 0; i < 7; i++) {
      used.push((await ring.acquire(tenant)).id);
      await ring.close();
    }
    expect(new Set(used.slice(0, 3)).size).toBe(1);
    expect(new Set(used.slice(3, 6)).size).toBe(1);
    expect(used[3]).not.toBe(used[0]);
    expect(used[6]).not.toBe(used[3]);
    for (const row of table.rows.filter((r) => r.purpose === 'DATA')) expect(row.uses).toBeLessThanOrEqual(3);
  });

  it('counts reserved uses in the shared table, so a second instance reserves past the first', async () => {
    const table = new MemoryKeyTable();
    const first = await startedRing(table, kek(), 6);
    const second = await startedRing(table, first.keks, 6);
    const a = await first.acquire(tenant);
    await first.close();
    const b = await second.acquire(tenant);
    await second.close();
    expect(b.id).toBe(a.id);
    expect(table.rows.find((r) => r.id === a.id)?.uses).toBe(6);
    for (let i = 0; i < 2; i++) await first.acquire(tenant);
    await first.close();
    expect((await first.acquire(tenant)).id).not.toBe(a.id);
  });

  it('on the single-connection database, creates a key a transaction needs inside it, and reserves more once the connection is free', async () => {
    const table = new MemoryKeyTable();
    const ring = new FieldKeyRing(kek(), { singleConnection: true, reservation: 10 });
    ring.attach(table.exec);
    await ring.start();
    const transaction = {};
    const inside = await ring.acquire(tenant, transaction);
    expect(table.createdIn.get(inside.id)).toBe(transaction);
    expect(table.rows.find((r) => r.id === inside.id)?.uses).toBe(10);
    await ring.close();
    // The background reservation ran outside any transaction: the key is now shared, its uses counted again.
    expect(table.rows.find((r) => r.id === inside.id)?.uses).toBe(20);
    const later = await ring.acquire(tenant, {});
    expect(later.id).toBe(inside.id);
    expect(table.rows.filter((r) => r.purpose === 'DATA')).toHaveLength(1);
  });

  it('is unusable, with an error naming CRADLE_KEK, when the stored keys were wrapped by another KEK', async () => {
    const table = new MemoryKeyTable();
    await startedRing(table);
    const other = new FieldKeyRing(kek(), { singleConnection: false });
    other.attach(table.exec);
    await other.start();
    expect(() => other.assertUsable()).toThrow(WrongKeyEncryptionKeyError);
    expect(() => other.blindIndex('email', 'mia@example.org')).toThrow(/CRADLE_KEK/);
    await expect(other.acquire(tenant)).rejects.toThrow(WrongKeyEncryptionKeyError);
  });

  it('reads data keys wrapped by a previous KEK while a rotation is under way', async () => {
    const table = new MemoryKeyTable();
    const oldKek = new LocalKeyEncryptionKey(randomBytes(32));
    const ring = await startedRing(table, new KeyEncryptionKeys(oldKek));
    const key = await ring.acquire(tenant);
    await ring.close();
    const rotating = await startedRing(table, new KeyEncryptionKeys(new LocalKeyEncryptionKey(randomBytes(32)), [oldKek]));
    rotating.assertUsable();
    await rotating.ensureLoaded([key.id]);
    expect(rotating.keyById(key.id)?.key.equals(key.key)).toBe(true);
    expect(rotating.blindIndex('email', 'Mia@Example.org')).toBe(ring.blindIndex('email', 'mia@example.org'));
  });
});
