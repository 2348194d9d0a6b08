import { seqOf } from '../../helpers/live.js';
import type { FaultPatient } from './fault-deployment.js';

/** A write the server acknowledged: the update's id and cursor. */
export interface AcknowledgedWrite {
  readonly id: string;
  readonly cursor: string;
  readonly seq: number;
  readonly patientId: string;
}

/** A write that failed, as the client saw it (`network` when no GraphQL answer arrived at all). */
export interface RefusedWrite {
  readonly status: number | null;
  readonly code: string | null;
  /** `extensions.retryable` as sent: true, false, or null when the error did not say. */
  readonly retryable: boolean | null;
  readonly network: boolean;
  /** How long the refusal took, from sending the request, in milliseconds. */
  readonly durationMs: number;
}

const LOG_MOOD = `mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }`;

/**
 * Closed-loop write load: `loops` writers, each logging a mood for its patient (as herself), one
 * request at a time with `pauseMs` between, spread round-robin over the instances `targets` names
 * at that moment. It records every acknowledged write and every refusal.
 */
export class WriteLoad {
  readonly acknowledged: AcknowledgedWrite[] = [];
  readonly refused: RefusedWrite[] = [];
  private loops: Promise<void>[] = [];
  private stopping = false;
  private turn = 0;

  constructor(
    private readonly targets: () => readonly string[],
    private readonly writers: readonly FaultPatient[],
    private readonly pauseMs = 10,
    /** A free-text note sent with each mood (to make events large); none by default. */
    private readonly note?: string,
  ) {}

  /** Starts the writers (one per patient unless `loops` says otherwise). */
  start(loops = this.writers.length): void {
    this.stopping = false;
    for (let i = 0; i < loops; i++) this.loops.push(this.run(this.writers[i % this.writers.length]!));
  }

  /** Stops the writers and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /**
   * Writes until one is acknowledged, then `count` more, each of which must be (after a fault ends:
   * proves writes work again). Gives up after `timeoutMs`.
   */
  async writeOnceRecovered(patient: FaultPatient, count: number, timeoutMs: number): Promise<AcknowledgedWrite[]> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.writeOnce(patient))) {
      if (Date.now() > deadline) throw new Error(`writes were still refused ${timeoutMs} ms after the fault: ${JSON.stringify(this.refused.at(-1))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.writeSome(patient, count);
  }

  /** Writes `count` moods one after another (outside any fault, e.g. for a baseline). */
  async writeSome(patient: FaultPatient, count: number): Promise<AcknowledgedWrite[]> {
    const written: AcknowledgedWrite[] = [];
    for (let i = 0; i < count; i++) {
      const ack = await this.writeOnce(patient);
      if (!ack) throw new Error(`a write outside any fault was refused: ${JSON.stringify(this.refused.at(-1))}`);
      written.push(ack);
    }
    return written;
  }

  private async run(patient: FaultPatient): Promise<void> {
    while (!this.stopping) {
      await this.writeOnce(patient);
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  private async writeOnce(patient: FaultPatient): Promise<AcknowledgedWrite | null> {
    const targets = this.targets();
    if (targets.length === 0) return null;
    const url = targets[this.turn++ % targets.length]!;
    const started = Date.now();
    let status: number | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${patient.user.token}` },
        body: JSON.stringify({ query: LOG_MOOD, variables: { input: { patientId: patient.id, score: 3, ...(this.note ? { note: this.note } : {}) } } }),
        signal: AbortSignal.timeout(20_000),
      });
      status = res.status;
      const body = (await res.json()) as { data?: { logMood?: { id: string; cursor: string } } | null; errors?: Array<{ extensions?: Record<string, unknown> }> };
      const logged = body.data?.logMood;
      if (logged && !body.errors?.length) {
        const ack = { id: logged.id, cursor: logged.cursor, seq: seqOf(logged.cursor), patientId: patient.id };
        this.acknowledged.push(ack);
        return ack;
      }
      const extensions = body.errors?.[0]?.extensions ?? {};
      this.refused.push({
        status,
        code: typeof extensions['code'] === 'string' ? extensions['code'] : null,
        retryable: typeof extensions['retryable'] === 'boolean' ? extensions['retryable'] : null,
        network: false,
        durationMs: Date.now() - started,
      });
    } catch {
      this.refused.push({ status, code: null, retryable: null, network: true, durationMs: Date.now() - started });
    }
    return null;
  }
}
