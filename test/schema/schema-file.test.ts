import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printCradleSchema } from '../../src/schema/build-schema.js';
import { buildTestSchema } from '../helpers/schema.js';

const SCHEMA_FILE = new URL('../../schema.graphql', import.meta.url);

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:print` after an API change)', async () => {
    const printed = printCradleSchema(await buildTestSchema());
    if (process.env['UPDATE_SCHEMA']) writeFileSync(SCHEMA_FILE, printed);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printed);
  });

  it('prints the @auth rules in the SDL', async () => {
    const printed = printCradleSchema(await buildTestSchema());
    expect(printed).toContain('directive @auth(');
    expect(printed).toMatch(/^  login\(.*\): AuthPayload! @auth\(category: "CREDENTIALS", public: true\)$/m);
  });

  it('keeps the operation names of shared/API.md that this release implements', async () => {
    const schema = await buildTestSchema();
    const names = (type: 'Query' | 'Mutation' | 'Subscription') => Object.keys(schema.getType(type) && 'getFields' in schema.getType(type)! ? (schema.getType(type) as any).getFields() : {});
    expect(names('Query')).toEqual(
      expect.arrayContaining([
        'me', 'patient', 'patients', 'statusUpdates', 'protocols', 'protocol', 'simulateProtocol', 'alerts', 'preKeyBundles',
        'auditTrail', 'myAccessReport', 'verifyAuditChain', 'researchCohort', 'outcomeMetrics', 'complianceReport',
      ]),
    );
    expect(names('Mutation')).toEqual(
      expect.arrayContaining([
        'login', 'createUser', 'createPatient', 'addInfant', 'assignCareTeamMember', 'removeCareTeamMember',
        'logMood', 'logFeeding', 'logSleep', 'logVitals', 'logInfantVitals', 'logSymptoms', 'submitScreening',
        'refreshSession', 'logout', 'grantConsent', 'revokeConsent', 'requestEmergencyAccess', 'reviewEmergencyAccess',
        'createProtocol', 'updateProtocol', 'setProtocolEnabled', 'acknowledgeAlert', 'resolveAlert',
        'registerDevice', 'uploadPreKeys', 'sendMessage', 'ackMessages',
      ]),
    );
    expect(names('Subscription')).toEqual(expect.arrayContaining(['patientUpdates', 'alerts', 'complianceEvents', 'inbox']));
  });
});
