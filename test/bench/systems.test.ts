import { describe, expect, it } from 'vitest';
import { profileFromArgs } from '../../bench/profile.js';
import { parseSystems, SYSTEM_IDS, SYSTEMS, systemById } from '../../bench/systems.js';

describe('the bench systems list', () => {
  it('lists Cradle and the three baselines once each, in the order rounds alternate', () => {
    expect(SYSTEM_IDS).toEqual(['A', 'B1', 'B2', 'B3']);
    expect(new Set(SYSTEMS.map((s) => s.label)).size).toBe(SYSTEMS.length);
  });

  it('starts B3 from its own entry and B1/B2 from the textbook entry with their topic mode', () => {
    expect(systemById('B3').entry).toBe('baselines/expert-server.js');
    expect(systemById('B1')).toMatchObject({ entry: 'baselines/textbook-server.js', env: { BENCH_TOPIC_MODE: 'global' } });
    expect(systemById('B2')).toMatchObject({ entry: 'baselines/textbook-server.js', env: { BENCH_TOPIC_MODE: 'patient' } });
  });

  it('runs every system in every profile unless --systems narrows it', () => {
    for (const flag of [[], ['--full'], ['--smoke']]) expect(profileFromArgs(flag).systems).toEqual(['A', 'B1', 'B2', 'B3']);
    expect(profileFromArgs(['--systems', 'B3,A']).systems).toEqual(['A', 'B3']);
  });

  it('refuses an unknown or empty --systems list instead of running fewer systems', () => {
    expect(() => parseSystems('A,B4')).toThrow(/unknown system B4 \(known: A, B1, B2, B3\)/);
    expect(() => parseSystems(' , ')).toThrow(/name at least one/);
    expect(parseSystems('B2, B2,B1')).toEqual(['B1', 'B2']);
  });
});
