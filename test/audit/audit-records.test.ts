import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, hashAuditRecord, toAuditRecord } from '../../src/audit/audit-hash.js';
import type { AuditEntryInput } from '../../src/audit/audit-entry.js';
import { auditEntriesFor, PhiAccessRecorder } from '../../src/audit/phi-access-recorder.js';
import { mutationAction } from '../../src/audit/field-access-audit.js';
import { DEFAULT_THRESHOLDS, hoursNear, mergeThresholds, storedThresholds } from '../../src/audit/compliance/compliance-rules.js';

const entry: AuditEntryInput = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  actor: { type: 'USER', userId: '22222222-2222-4222-8222-222222222222', role: 'MIDWIFE', sessionId: null },
  patientId: '33333333-3333-4333-8333-333333333333',
  action: 'READ',
  fields: ['Patient.givenName'],
  purpose: 'TREATMENT',
  outcome: 'ALLOWED',
  requestId: 'r1',
  clientIp: '127.0.0.1',
  userAgent: 'test',
  details: { b: 1, a: 'x' },
};

describe('audit record hashing', () => {
  it('encodes objects with sorted keys, so a JSONB round trip hashes the same', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    const record = toAuditRecord(entry, 1, 1_700_000_000_123, GENESIS_HASH);
    const reordered = { ...record, details: { a: 'x', b: 1 } };
    expect(hashAuditRecord(reordered)).toBe(hashAuditRecord(record));
  });

  it('hashes exactly the canonical JSON of the columns in their fixed order (the encoding stored chains were built with)', () => {
    const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    const reference = (r: ReturnType<typeof toAuditRecord>) =>
      sha(canonicalJson(['cradle-audit-v1', r.tenantId, r.seq, r.actorType, r.actorId, r.actorRole, r.sessionId, r.patientId, r.action, [...r.fields], r.purpose, r.outcome, r.requestId, r.clientIp, r.userAgent, r.details, r.occurredAtMs, r.prevHash]));
    const record = toAuditRecord(entry, 7, 1_700_000_000_123, 'a'.repeat(64));
    expect(hashAuditRecord(record)).toBe(reference(record));
    const sparse = toAuditRecord({ ...entry, actor: { type: 'SYSTEM', component: 'relay' }, patientId: null, fields: [], purpose: null, requestId: null, clientIp: null, userAgent: null, details: {} }, 8, 1, 'b'.repeat(64));
    expect(hashAuditRecord(sparse)).toBe(reference(sparse));
    const quoted = toAuditRecord({ ...entry, userAgent: 'Mozilla "quoted" \\ \u2028 ü', details: { z: 'é "q"', a: true, m: null, n: 2 } }, 9, 2, 'c'.repeat(64));
    expect(hashAuditRecord(quoted)).toBe(reference(quoted));
  });

  it('changes the hash when any column, the position or the previous hash changes', () => {
    const record = toAuditRecord(entry, 1, 1_700_000_000_123, GENESIS_HASH);
    const base = hashAuditRecord(record);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    for (const changed of [
      { ...record, seq: '2' },
      { ...record, outcome: 'DENIED' },
      { ...record, fields: ['Patient.familyName'] },
      { ...record, occurredAtMs: '1700000000124' },
      { ...record, prevHash: 'f'.repeat(64) },
      { ...record, details: { a: 'x', b: 2 } },
    ]) {
      expect(hashAuditRecord(changed)).not.toBe(base);
    }
  });
});

describe('PhiAccessRecorder', () => {
  it('batches fields per patient and outcome into one record each, with the purpose of the grant', () => {
    const recorder = new PhiAccessRecorder();
    recorder.read('p1', 'Patient.givenName', 'CARE_TEAM');
    recorder.read('p1', 'Patient.familyName', 'CARE_TEAM');
    recorder.read('p1', 'Patient.givenName', 'CARE_TEAM');
    recorder.read('p2', 'Patient.givenName', 'EMERGENCY');
    recorder.denied('p2', 'Patient.deliveryDate', 'EMERGENCY');
    recorder.denied('p3', null);
    const { accesses } = recorder.take();
    expect(accesses).toEqual([
      { patientId: 'p1', action: 'READ', outcome: 'ALLOWED', purpose: 'TREATMENT', fields: ['Patient.familyName', 'Patient.givenName'] },
      { patientId: 'p2', action: 'READ', outcome: 'ALLOWED', purpose: 'EMERGENCY', fields: ['Patient.givenName'] },
      { patientId: 'p2', action: 'READ', outcome: 'DENIED', purpose: 'EMERGENCY', fields: ['Patient.deliveryDate'] },
      { patientId: 'p3', action: 'READ', outcome: 'DENIED', purpose: null, fields: [] },
    ]);
    expect(recorder.isEmpty).toBe(true);
  });

  it("turns an operation's accesses into entries of the actor, from the request's origin", () => {
    const entries = auditEntriesFor(
      { userId: 'u1', tenantId: 't1', role: 'ADMIN', tokenId: 'x', sessionId: 's1' },
      { requestId: 'r1', clientIp: '10.0.0.1', userAgent: 'ua' },
      [{ patientId: 'p1', action: 'READ', outcome: 'ALLOWED', purpose: 'OPERATIONS', fields: ['Patient.givenName'] }],
    );
    expect(entries).toEqual([
      {
        tenantId: 't1',
        actor: { type: 'USER', userId: 'u1', role: 'ADMIN', sessionId: 's1' },
        requestId: 'r1',
        clientIp: '10.0.0.1',
        userAgent: 'ua',
        patientId: 'p1',
        action: 'READ',
        fields: ['Patient.givenName'],
        purpose: 'OPERATIONS',
        outcome: 'ALLOWED',
        details: {},
      },
    ]);
  });

  it('names what a mutation does from its name', () => {
    expect(mutationAction('logMood')).toBe('CREATE');
    expect(mutationAction('createPatient')).toBe('CREATE');
    expect(mutationAction('removeCareTeamMember')).toBe('DELETE');
    expect(mutationAction('updateProtocol')).toBe('UPDATE');
  });
});

describe('compliance thresholds', () => {
  it('merges a valid change over the current thresholds and rejects a value out of range, naming it', () => {
    expect(mergeThresholds(DEFAULT_THRESHOLDS, { manyPatients: 12, bulkExportRecords: null })).toEqual({ ...DEFAULT_THRESHOLDS, manyPatients: 12 });
    expect(() => mergeThresholds(DEFAULT_THRESHOLDS, { failedLogins: 1 })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ field: 'input.failedLogins' }) }));
    expect(() => mergeThresholds(DEFAULT_THRESHOLDS, { manyPatientsWindowMinutes: 2.5 })).toThrow();
  });

  it('reads stored thresholds over the defaults, ignoring unknown or malformed entries', () => {
    expect(storedThresholds({ failedLogins: 9, unknown: 3, manyPatients: 'x' })).toEqual({ ...DEFAULT_THRESHOLDS, failedLogins: 9 });
    expect(storedThresholds(null)).toEqual(DEFAULT_THRESHOLDS);
  });

  it('treats hours within one of each other as near, around midnight too', () => {
    expect(hoursNear(23, 0)).toBe(true);
    expect(hoursNear(10, 11)).toBe(true);
    expect(hoursNear(10, 12)).toBe(false);
    expect(hoursNear(3, 10)).toBe(false);
  });
});
