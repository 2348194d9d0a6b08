/** The key under which a step that concerns every patient is counted. */
const EVERY_PATIENT = Symbol('every patient');

/**
 * The access steps of one tenant room that are queued but not yet applied (a grant lookup after a
 * consent, care-team or permissions change, a routing reload), and the deliveries held for them.
 *
 * An access change drops the grants it concerns at once; the step that looks them up again runs
 * later, in the room's order. Until it has run, the grants in memory say less than the subscribers
 * may see, so an event about a patient a pending step concerns cannot be judged yet: the live feed
 * keeps it on arrival and hands its delivery here, to run once no pending step concerns it. Held
 * deliveries run in the order they were handed over, and once one is held every later one waits
 * behind it, because a subscriber drops any cursor below the last it received.
 */
export class PendingAccess {
  private readonly steps = new Map<string | typeof EVERY_PATIENT, number>();
  private readonly held: Array<{ readonly patientId: string; readonly deliver: () => void }> = [];

  /** Whether no access step is pending: events can be judged on arrival. */
  get settled(): boolean {
    return this.steps.size === 0;
  }

  /** Whether a pending step concerns this patient (one about her, or one about every patient). */
  concerns(patientId: string): boolean {
    return this.steps.size > 0 && (this.steps.has(EVERY_PATIENT) || this.steps.has(patientId));
  }

  /** Counts a step as pending, about one patient or (`null`) every patient, until {@link end}. */
  begin(patientId: string | null): void {
    const key = patientId ?? EVERY_PATIENT;
    this.steps.set(key, (this.steps.get(key) ?? 0) + 1);
  }

  /**
   * Marks a step begun with the same `patientId` as applied, and runs the held deliveries that no
   * pending step concerns any more (up to the first one still concerned). If a delivery throws,
   * the others still run and the first error is thrown after them.
   */
  end(patientId: string | null): void {
    const key = patientId ?? EVERY_PATIENT;
    const left = (this.steps.get(key) ?? 1) - 1;
    if (left > 0) this.steps.set(key, left);
    else this.steps.delete(key);
    const errors: unknown[] = [];
    while (this.held.length > 0 && !this.concerns(this.held[0]!.patientId)) {
      const { deliver } = this.held.shift()!;
      try {
        deliver();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  /**
   * Runs the delivery of an event about `patientId` now, or holds it until the pending steps
   * concerning her are applied (or behind deliveries already held). `deliver` decides the
   * recipients when it runs, from the grants and routing of that moment.
   */
  deliver(patientId: string, deliver: () => void): void {
    if (this.held.length > 0 || this.concerns(patientId)) this.held.push({ patientId, deliver });
    else deliver();
  }
}
