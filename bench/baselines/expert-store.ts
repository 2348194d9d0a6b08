import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import pg from 'pg';

/** A parameterised statement with a name, prepared once per connection by node-postgres. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

/** Runs {@link NamedStatement}s: node-postgres in the bench ({@link pgStatementRunner}); tests may adapt another driver. */
export interface StatementRunner {
  run<R>(statement: NamedStatement, values: readonly unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** Who a request acts as, from the verified token alone (no session or user row read). */
export interface ExpertViewer {
  readonly userId: string;
  readonly tenantId: string;
  readonly role: string;
}

/** The patients a viewer may follow: her own record (a patient), or the care teams she is on. */
const VISIBLE_PATIENTS: NamedStatement = {
  name: 'b3_visible_patients',
  text: `select patient_id as id from care_team_member where user_id = $2::uuid and tenant_id = $1::uuid and removed_at is null
         union all
         select id from patient where user_id = $2::uuid and tenant_id = $1::uuid`,
};

/**
 * One round trip per mutation: the care-team (or own-record) check, the tenant's next event cursor
 * and the insert, in one statement and so one transaction. Nothing is inserted, and no cursor
 * taken, unless the writer may write for the patient.
 */
const LOG_MOOD: NamedStatement = {
  name: 'b3_log_mood',
  text: `with allowed as (
           select 1 from care_team_member where patient_id = $2::uuid and user_id = $3::uuid and tenant_id = $1::uuid and removed_at is null
           union all
           select 1 from patient where id = $2::uuid and user_id = $3::uuid and tenant_id = $1::uuid
           limit 1
         ), next_seq as (
           update tenant set event_seq = event_seq + 1 where id = $1::uuid and exists (select 1 from allowed) returning event_seq
         )
         insert into status_update (id, tenant_id, patient_id, infant_id, kind, recorded_at, recorded_by, data, seq)
         select $4::uuid, $1::uuid, $2::uuid, null, 'MOOD', $5::timestamptz, $3::uuid, $6::jsonb, event_seq from next_seq
         returning seq`,
};

/** A stored MOOD update. */
export interface StoredMood {
  readonly id: string;
  readonly seq: number;
  readonly recordedAt: Date;
}

/**
 * B3's data access: hand-written SQL over node-postgres, no ORM. `data` is encrypted at rest with
 * AES-256-GCM under a key derived from the deployment's key-encryption key, as Cradle and B1/B2
 * keep status payloads encrypted (a different envelope: B3 never reads it back).
 */
export class ExpertStore {
  private readonly dataKey: Buffer;

  constructor(
    private readonly db: StatementRunner,
    /** The deployment's key-encryption key (CRADLE_KEK, base64, 32 bytes). */
    kekBase64: string,
  ) {
    this.dataKey = Buffer.from(hkdfSync('sha256', Buffer.from(kekBase64, 'base64'), Buffer.alloc(0), 'cradle-bench-b3-status-data', 32));
  }

  /** The patient ids the viewer may follow (one indexed lookup). */
  async visiblePatients(viewer: ExpertViewer): Promise<string[]> {
    const rows = await this.db.run<{ id: string }>(VISIBLE_PATIENTS, [viewer.tenantId, viewer.userId]);
    return rows.map((r) => r.id);
  }

  /** Stores a MOOD update if the viewer may write for the patient; null when she may not (or the patient is not hers to see). */
  async logMood(viewer: ExpertViewer, patientId: string, data: Readonly<Record<string, unknown>>, recordedAt: Date): Promise<StoredMood | null> {
    const id = crypto.randomUUID();
    const rows = await this.db.run<{ seq: string | number }>(LOG_MOOD, [viewer.tenantId, patientId, viewer.userId, id, recordedAt, this.seal(data)]);
    const row = rows[0];
    return row ? { id, seq: Number(row.seq), recordedAt } : null;
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.db.close();
  }

  /** The encrypted envelope stored in `status_update.data` (jsonb). */
  private seal(data: Readonly<Record<string, unknown>>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, iv);
    const ct = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
    return JSON.stringify({ b3: 1, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') });
  }
}

/** A {@link StatementRunner} on a node-postgres pool: every statement by name, so each connection prepares it once. */
export function pgStatementRunner(connectionString: string, max = 10): StatementRunner {
  const pool = new pg.Pool({ connectionString, max });
  return {
    async run<R>(statement: NamedStatement, values: readonly unknown[]): Promise<R[]> {
      const result = await pool.query({ name: statement.name, text: statement.text, values: values as unknown[] });
      return result.rows as R[];
    },
    close: () => pool.end(),
  };
}
