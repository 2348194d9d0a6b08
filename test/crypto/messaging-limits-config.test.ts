import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config-problems.js';

describe('messaging limit settings', () => {
  it('defaults to 6 claims per device and 300 in all an hour, 300 envelopes and 1 MiB sent a minute, 5000 envelopes and 32 MiB per mailbox', () => {
    expect(loadConfig({}).messaging).toMatchObject({
      claimsPerDevicePerHour: 6,
      claimsPerHour: 300,
      sendEnvelopesPerMinute: 300,
      sendBytesPerMinute: 1024 * 1024,
      mailboxMaxEnvelopes: 5000,
      mailboxMaxBytes: 32 * 1024 * 1024,
    });
  });

  it('takes each limit from the environment', () => {
    const messaging = loadConfig({
      CRADLE_MESSAGING_CLAIMS_PER_DEVICE_PER_HOUR: '3',
      CRADLE_MESSAGING_CLAIMS_PER_HOUR: '50',
      CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE: '1000',
      CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: '2097152',
      CRADLE_MESSAGING_MAILBOX_MAX_ENVELOPES: '100',
      CRADLE_MESSAGING_MAILBOX_MAX_BYTES: '1048576',
    }).messaging;
    expect(messaging).toMatchObject({
      claimsPerDevicePerHour: 3, claimsPerHour: 50, sendEnvelopesPerMinute: 1000, sendBytesPerMinute: 2097152, mailboxMaxEnvelopes: 100, mailboxMaxBytes: 1048576,
    });
  });

  it('refuses, all at once, limits that a valid request could never fit', () => {
    const problems = configProblems({
      CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: '4096',
      CRADLE_MESSAGING_MAX_SEND_BYTES: '8192',
      CRADLE_MESSAGING_MAILBOX_MAX_BYTES: '1024',
      CRADLE_MESSAGING_MAX_ENVELOPE_BYTES: '2048',
      CRADLE_MESSAGING_CLAIMS_PER_HOUR: '3',
      CRADLE_MESSAGING_MAX_DEVICES: '5',
    });
    expect(problems).toEqual([
      'CRADLE_MESSAGING_SEND_BYTES_PER_MINUTE: must be at least CRADLE_MESSAGING_MAX_SEND_BYTES (8192)',
      'CRADLE_MESSAGING_MAILBOX_MAX_BYTES: must be at least CRADLE_MESSAGING_MAX_ENVELOPE_BYTES (2048)',
      'CRADLE_MESSAGING_CLAIMS_PER_HOUR: must be at least CRADLE_MESSAGING_MAX_DEVICES (5)',
    ]);
    expect(configProblems({ CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE: '100' })).toEqual(['CRADLE_MESSAGING_SEND_ENVELOPES_PER_MINUTE: must be at least 256']);
  });
});
