import { Field, InputType, ObjectType } from 'type-graphql';
import type { Role } from '../../db/entities/index.js';
import type { QuietHours } from '../../protocols/quiet-hours.js';
import { Auth } from '../auth.directive.js';

/** Who may read and set a tenant's quiet hours: those who configure its alerting. */
export const QUIET_HOURS_ROLES: readonly Role[] = ['ADMIN', 'CARE_COORDINATOR'];

/** A tenant's quiet hours, as GraphQL shows them. */
@ObjectType('QuietHours', {
  description: 'A daily window in which pages of non-critical alerts wait until it ends. Critical alerts are never held.',
})
export class QuietHoursView implements QuietHours {
  @Field(() => String, { description: 'Local time the window opens, HH:MM (24-hour).' })
  @Auth.roles(QUIET_HOURS_ROLES, 'OPERATIONAL')
  start!: string;

  @Field(() => String, { description: 'Local time the window closes, HH:MM (24-hour).' })
  @Auth.roles(QUIET_HOURS_ROLES, 'OPERATIONAL')
  end!: string;

  @Field(() => String, { description: 'IANA time-zone name the times are in, e.g. Europe/London.' })
  @Auth.roles(QUIET_HOURS_ROLES, 'OPERATIONAL')
  timeZone!: string;

  static of(quiet: QuietHours): QuietHoursView {
    return Object.assign(new QuietHoursView(), { start: quiet.start, end: quiet.end, timeZone: quiet.timeZone });
  }
}

/** New quiet hours for the tenant. */
@InputType({ description: 'Quiet hours: a daily window, in a time zone; it may cross midnight (22:00 to 07:00).' })
export class QuietHoursInput implements QuietHours {
  @Field(() => String, { description: 'Local time the window opens, HH:MM (24-hour).' }) start!: string;
  @Field(() => String, { description: 'Local time the window closes, HH:MM (24-hour); differs from start.' }) end!: string;
  @Field(() => String, { description: 'IANA time-zone name, e.g. Europe/London.' }) timeZone!: string;
}
