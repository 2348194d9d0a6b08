import { buildSchema, GraphQLError, type GraphQLSchema } from 'graphql';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { withFilter } from 'graphql-subscriptions';
import type { RedisPubSub } from 'graphql-redis-subscriptions';
import { CareTeamMember, Patient, StatusUpdate } from '../../src/db/entities/index.js';
import { Cursor } from '../../src/schema/common/cursor.js';
import { BASELINE_SDL } from './baseline-sdl.js';

/** How the textbook server fans out: one global topic filtered per subscriber (B1), or one topic per patient (B2). */
export type TopicMode = 'global' | 'patient';

/** The signed-in user of a textbook request, loaded from the token's subject. */
export interface Viewer {
  readonly id: string;
  readonly tenantId: string;
  readonly role: string;
}

/** The per-operation context of the textbook server; `patientIds` is filled when a subscription starts. */
export interface TextbookContext {
  readonly viewer: Viewer | null;
  patientIds?: ReadonlySet<string>;
}

/** What is published for each stored update (the subscription's payload plus the patient for filtering). */
interface PublishedUpdate {
  readonly patientId: string;
  readonly cursor: string;
  readonly update: Record<string, unknown>;
}

/** The patients a user may see, the way a textbook team writes it: her own record, or her care teams. */
async function visiblePatientIds(em: EntityManager, viewer: Viewer): Promise<Set<string>> {
  if (viewer.role === 'PATIENT') {
    const own = await em.find(Patient, { tenantId: viewer.tenantId, userId: viewer.id }, { fields: ['id'] });
    return new Set(own.map((p) => p.id));
  }
  const memberships = await em.find(CareTeamMember, { tenantId: viewer.tenantId, userId: viewer.id, removedAt: null }, { fields: ['patientId'] });
  return new Set(memberships.map((m) => m.patientId));
}

/** Counts an iterator in `live` until it is returned (the client completed or went away). */
function counted<T>(iterator: AsyncIterableIterator<T>, live: { count: number }): AsyncIterableIterator<T> {
  live.count += 1;
  let open = true;
  const original = iterator.return?.bind(iterator);
  iterator.return = async (value?: unknown) => {
    if (open) live.count -= 1;
    open = false;
    return original ? original(value) : { done: true, value: undefined as T };
  };
  return iterator;
}

/** Whether the viewer may write for this patient (herself, or on the care team): one query per mutation. */
async function mayWrite(em: EntityManager, viewer: Viewer, patientId: string): Promise<boolean> {
  if (viewer.role === 'PATIENT') return (await em.count(Patient, { id: patientId, tenantId: viewer.tenantId, userId: viewer.id })) > 0;
  return (await em.count(CareTeamMember, { tenantId: viewer.tenantId, userId: viewer.id, patientId, removedAt: null })) > 0;
}

/**
 * Builds the textbook schema: `logMood` validates, checks the care team, stores the update with
 * MikroORM through Cradle's entity (taking the tenant's next cursor in the same transaction, as
 * Cradle does) and publishes it on Redis; `patientUpdates` loads the subscriber's patients once
 * and then either filters the global topic per event with `withFilter` (B1) or listens on one
 * topic per patient (B2). `live.count` follows the open subscriptions (the bench waits on it).
 */
export function buildTextbookSchema(orm: MikroORM, pubsub: RedisPubSub, mode: TopicMode, prefix: string, live: { count: number }): GraphQLSchema {
  const schema = buildSchema(BASELINE_SDL);
  const globalTopic = `${prefix}STATUS_UPDATES`;
  const patientTopic = (patientId: string) => `${prefix}STATUS_UPDATES.${patientId}`;

  const logMood = async (_root: unknown, args: { input: { patientId: string; score: number; note?: string | null } }, ctx: TextbookContext) => {
    const viewer = ctx.viewer;
    if (!viewer) throw new GraphQLError('Sign in first.', { extensions: { code: 'UNAUTHENTICATED' } });
    const { patientId, score, note } = args.input;
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      throw new GraphQLError('input.score must be 1 to 5.', { extensions: { code: 'BAD_USER_INPUT', field: 'input.score' } });
    }
    const em = orm.em.fork();
    if (!(await mayWrite(em, viewer, patientId))) throw new GraphQLError('Patient not found.', { extensions: { code: 'NOT_FOUND' } });
    const row = await em.transactional(async (tx) => {
      const [counter] = await tx.execute<{ event_seq: string | number }[]>('update tenant set event_seq = event_seq + 1 where id = ? returning event_seq', [viewer.tenantId]);
      const update = tx.create(StatusUpdate, {
        id: crypto.randomUUID(),
        tenantId: viewer.tenantId,
        patientId,
        infantId: null,
        kind: 'MOOD',
        recordedAt: new Date(),
        recordedBy: viewer.id,
        data: note == null ? { score } : { score, note },
        seq: Number(counter!.event_seq),
      });
      await tx.flush();
      return update;
    });
    const view = {
      id: row.id,
      kind: row.kind,
      recordedAt: new Date(row.recordedAt).toISOString(),
      recordedBy: row.recordedBy,
      infantId: null,
      data: row.data,
      cursor: Cursor.ofSeq(row.seq),
    };
    const published: PublishedUpdate = { patientId, cursor: view.cursor, update: view };
    await pubsub.publish(mode === 'global' ? globalTopic : patientTopic(patientId), published);
    return view;
  };

  const subscribe = async (root: unknown, args: unknown, ctx: TextbookContext, info: unknown) => {
    const viewer = ctx.viewer;
    if (!viewer) throw new GraphQLError('Sign in first.', { extensions: { code: 'UNAUTHENTICATED' } });
    const patientIds = await visiblePatientIds(orm.em.fork(), viewer);
    ctx.patientIds = patientIds;
    const iterator: AsyncIterableIterator<unknown> =
      mode === 'patient'
        ? pubsub.asyncIterableIterator<PublishedUpdate>([...patientIds].map(patientTopic))
        : withFilter<PublishedUpdate, unknown, TextbookContext>(
            () => pubsub.asyncIterableIterator<PublishedUpdate>(globalTopic),
            (payload: PublishedUpdate | undefined, _args: unknown, context: TextbookContext | undefined) => !!payload && !!context?.patientIds?.has(payload.patientId),
          )(root as PublishedUpdate, args, ctx, info);
    return counted(iterator, live);
  };

  schema.getMutationType()!.getFields()['logMood']!.resolve = logMood as never;
  const field = schema.getSubscriptionType()!.getFields()['patientUpdates']!;
  field.subscribe = subscribe as never;
  field.resolve = (payload: PublishedUpdate) => ({ cursor: payload.cursor, update: payload.update });
  return schema;
}
