import { LockMode } from '@mikro-orm/core';
import { isGrantActive, resolvePatientGrants, type PatientGrant } from '../auth/patient-grants.js';
import { visibleRecordsFilter } from '../auth/record-visibility.js';
import type { RequestContext } from '../context.js';
import { FollowUpTask, type FollowUpTaskStatus } from '../db/entities/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { Cursor } from '../schema/common/cursor.js';
import { checkId, checkText } from '../status/input-checks.js';

/** Longest completion note, in characters. */
export const MAX_COMPLETION_NOTE_LENGTH = 2000;

/** Which tasks to list. */
export interface FollowUpTaskFilter {
  readonly patientId: string | null;
  readonly status: FollowUpTaskStatus | null;
  readonly first: number;
  /** A cursor from an earlier page (tasks due after it). */
  readonly after: string | null;
}

/**
 * Follow-up tasks that protocols created: listing and completion. A caller sees a task only with a
 * grant for its patient that covers every data category of the task (the same rule as alerts,
 * `record-visibility.ts`), so any
 * clinician of the care team whose access covers it may complete it, whichever role it is assigned
 * to; anything else answers NOT_FOUND. Reads are audited through `@auth` like other clinical reads,
 * and completion as a write to the patient's record.
 */
export class FollowUpTaskService {
  constructor(private readonly ctx: RequestContext) {}

  /** The caller's tasks (patients in scope, every category covered), soonest due first. */
  async list(filter: FollowUpTaskFilter): Promise<{ tasks: FollowUpTask[]; hasNextPage: boolean }> {
    const actor = this.ctx.access.requireActor();
    const now = this.ctx.services.now();
    const after = filter.after ? Cursor.toTimeAndId(filter.after, 'after') : null;
    let grants: Iterable<PatientGrant>;
    if (filter.patientId !== null) {
      const id = checkId(filter.patientId, 'patientId', NotFoundError.patient);
      const grant = await this.ctx.access.grantFor(id);
      if (!grant || !isGrantActive(grant, now)) throw NotFoundError.patient();
      grants = [grant];
    } else {
      grants = (await resolvePatientGrants(this.ctx.em, actor, now)).values();
    }
    const visible = visibleRecordsFilter(grants, now);
    if (!visible) return { tasks: [], hasNextPage: false };
    const rows = await this.ctx.em.find(
      FollowUpTask,
      {
        tenantId: actor.tenantId,
        $and: [
          visible,
          ...(after ? [{ $or: [{ dueAt: { $gt: new Date(after.time) } }, { dueAt: new Date(after.time), id: { $gt: after.id } }] }] : []),
        ],
        ...(filter.status ? { status: filter.status } : {}),
      },
      { orderBy: { dueAt: 'asc', id: 'asc' }, limit: filter.first + 1 },
    );
    return { tasks: rows.slice(0, filter.first), hasNextPage: rows.length > filter.first };
  }

  /** Completes a task, with an optional note; a task already done is a CONFLICT (its note is kept). */
  async complete(id: string, note: string | null): Promise<FollowUpTask> {
    const actor = this.ctx.access.requireActor();
    const taskId = checkId(id, 'id', NotFoundError.followUpTask);
    const text = note === null ? null : checkText(note, 'note', MAX_COMPLETION_NOTE_LENGTH);
    const task = await this.ctx.em.findOne(FollowUpTask, { id: taskId, tenantId: actor.tenantId }, { fields: ['id', 'patientId', 'categories'] });
    if (!task || !(await this.ctx.access.allowsAll(task.patientId, task.categories))) throw NotFoundError.followUpTask('id');
    return this.ctx.em.transactional(async (tx) => {
      const locked = await tx.findOneOrFail(FollowUpTask, { id: taskId, tenantId: actor.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (locked.status === 'DONE') throw ConflictError.taskAlreadyDone();
      locked.status = 'DONE';
      locked.completedAt = new Date(this.ctx.services.now());
      locked.completedBy = actor.userId;
      locked.completionNote = text;
      return locked;
    });
  }
}
