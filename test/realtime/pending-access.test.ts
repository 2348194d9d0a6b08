import { describe, expect, it } from 'vitest';
import { PendingAccess } from '../../src/realtime/pending-access.js';

describe('pending access steps of a room', () => {
  it('runs a delivery at once when no step is pending, or when the pending ones concern other patients', () => {
    const pending = new PendingAccess();
    const ran: string[] = [];
    pending.deliver('p1', () => ran.push('first'));
    pending.begin('p2');
    pending.deliver('p1', () => ran.push('second'));
    expect(ran).toEqual(['first', 'second']);
    expect(pending.settled).toBe(false);
    pending.end('p2');
    expect(pending.settled).toBe(true);
  });

  it("holds a delivery about a patient a pending step concerns until the step ends, and later deliveries behind it, in order", () => {
    const pending = new PendingAccess();
    const ran: string[] = [];
    pending.begin('p1');
    expect(pending.concerns('p1')).toBe(true);
    expect(pending.concerns('p2')).toBe(false);
    pending.deliver('p1', () => ran.push('p1 held'));
    pending.deliver('p2', () => ran.push('p2 behind it'));
    expect(ran).toEqual([]);
    pending.end('p1');
    expect(ran).toEqual(['p1 held', 'p2 behind it']);
    pending.deliver('p1', () => ran.push('p1 after'));
    expect(ran).toEqual(['p1 held', 'p2 behind it', 'p1 after']);
  });

  it('holds every delivery while a step about every patient is pending, and counts repeated steps until the last ends', () => {
    const pending = new PendingAccess();
    const ran: string[] = [];
    pending.begin(null);
    pending.begin('p1');
    pending.begin('p1');
    expect(pending.concerns('any')).toBe(true);
    pending.deliver('p1', () => ran.push('p1'));
    pending.deliver('p2', () => ran.push('p2'));
    pending.end(null);
    expect(ran).toEqual([]);
    pending.end('p1');
    expect(ran).toEqual([]);
    pending.end('p1');
    expect(ran).toEqual(['p1', 'p2']);
    expect(pending.settled).toBe(true);
  });

  it('runs the other released deliveries when one throws, then throws its error', () => {
    const pending = new PendingAccess();
    const ran: string[] = [];
    pending.begin('p1');
    pending.deliver('p1', () => {
      throw new Error('offer failed');
    });
    pending.deliver('p1', () => ran.push('next'));
    expect(() => pending.end('p1')).toThrow('offer failed');
    expect(ran).toEqual(['next']);
  });
});
