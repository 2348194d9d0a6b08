import { buildSchema, GraphQLError, type GraphQLSchema } from 'graphql';
import { Cursor } from '../../src/schema/common/cursor.js';
import { BASELINE_SDL } from './baseline-sdl.js';
import type { SharedResultContext } from './expert-execution.js';
import type { PatientEvent, PatientFanout } from './expert-fanout.js';
import type { ExpertStore, ExpertViewer } from './expert-store.js';

/** The per-operation context of B3: the viewer from the verified token; subscriptions also carry their result key. */
export interface ExpertContext extends Partial<SharedResultContext> {
  readonly viewer: ExpertViewer | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOTE_MAX = 2000;

const unauthenticated = () => new GraphQLError('Sign in first.', { extensions: { code: 'UNAUTHENTICATED' } });
const badInput = (field: string, message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field } });
const patientNotFound = () => new GraphQLError('Patient not found.', { extensions: { code: 'NOT_FOUND' } });

/**
 * One subscription's events, pushed by the fan-out and pulled by graphql-ws; buffered while the
 * socket is slower than the events (unbounded, as in B1 and B2). `return()` detaches it.
 */
class PatientEventQueue implements AsyncGenerator<PatientEvent> {
  private buffer: PatientEvent[] = [];
  private head = 0;
  private waiting: ((step: IteratorResult<PatientEvent>) => void) | null = null;
  private closed = false;
  private detach: () => void = () => undefined;

  constructor(private readonly live: { count: number }) {}

  /** Starts counting this queue as live and remembers how to stop its listening. */
  attach(detach: () => void): void {
    this.detach = detach;
    this.live.count += 1;
  }

  readonly push = (event: PatientEvent): void => {
    if (this.closed) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting({ done: false, value: event });
    } else this.buffer.push(event);
  };

  next(): Promise<IteratorResult<PatientEvent>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head++]!;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<PatientEvent>> {
    if (!this.closed) {
      this.closed = true;
      this.detach();
      this.live.count -= 1;
      this.buffer = [];
      this.waiting?.({ done: true, value: undefined });
      this.waiting = null;
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  async throw(err: unknown): Promise<IteratorResult<PatientEvent>> {
    await this.return();
    throw err;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/** What B3's schema is built from. */
export interface ExpertSchemaOptions {
  readonly store: ExpertStore;
  readonly fanout: PatientFanout;
  /** Follows the open subscriptions (the bench waits on it). */
  readonly live: { count: number };
  /** The clock, in milliseconds since the epoch. */
  readonly now?: () => number;
}

/**
 * Builds B3's schema ({@link BASELINE_SDL}): `logMood` checks the input, then stores the update in
 * one statement that also checks the care team and takes the tenant's next cursor, and publishes it
 * on the patient's channel; `patientUpdates` looks up the viewer's patients once (narrowed by
 * `patientIds`, filtered by `kinds`) and listens on those patients' channels only. `since` is
 * accepted and ignored (no replay, as in B1 and B2). The payload resolvers read only the event, so
 * results can be shared across subscribers ({@link sharedResultSubscribe}).
 */
export function buildExpertSchema(options: ExpertSchemaOptions): GraphQLSchema {
  const { store, fanout, live } = options;
  const now = options.now ?? Date.now;
  const schema = buildSchema(BASELINE_SDL);

  const logMood = async (_root: unknown, args: { input: { patientId: string; score: number; note?: string | null; recordedAt?: string | null } }, ctx: ExpertContext) => {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    const { patientId, score, note, recordedAt: recordedAtInput } = args.input;
    if (!Number.isInteger(score) || score < 1 || score > 5) throw badInput('input.score', 'input.score must be 1 to 5.');
    if (note != null && note.length > NOTE_MAX) throw badInput('input.note', `input.note must be at most ${NOTE_MAX} characters.`);
    const recordedAt = recordedAtInput == null ? new Date(now()) : new Date(recordedAtInput);
    if (Number.isNaN(recordedAt.getTime())) throw badInput('input.recordedAt', 'input.recordedAt must be an ISO 8601 date-time.');
    if (!UUID.test(patientId)) throw patientNotFound();
    const data = note == null ? { score } : { score, note };
    const stored = await store.logMood(viewer, patientId, data, recordedAt);
    if (!stored) throw patientNotFound();
    const cursor = Cursor.ofSeq(stored.seq);
    const update = { id: stored.id, kind: 'MOOD', recordedAt: recordedAt.toISOString(), recordedBy: viewer.userId, infantId: null, data, cursor };
    await fanout.publish({ patientId, kind: 'MOOD', cursor, update });
    return update;
  };

  const subscribe = async (_root: unknown, args: { patientIds?: readonly string[] | null; kinds?: readonly string[] | null }, ctx: ExpertContext) => {
    const viewer = ctx.viewer;
    if (!viewer) throw unauthenticated();
    let patientIds = await store.visiblePatients(viewer);
    if (args.patientIds) {
      const asked = new Set(args.patientIds);
      patientIds = patientIds.filter((id) => asked.has(id));
    }
    const kinds = args.kinds ? new Set(args.kinds) : null;
    const queue = new PatientEventQueue(live);
    const listener = kinds ? (event: PatientEvent) => kinds.has(event.kind) && queue.push(event) : queue.push;
    queue.attach(await fanout.listen(patientIds, listener));
    return queue;
  };

  schema.getMutationType()!.getFields()['logMood']!.resolve = logMood as never;
  const field = schema.getSubscriptionType()!.getFields()['patientUpdates']!;
  field.subscribe = subscribe as never;
  field.resolve = (event: PatientEvent) => event;
  return schema;
}
