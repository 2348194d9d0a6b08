import { Field, ID, ObjectType } from 'type-graphql';
import type { SafetyMessage } from '../../db/entities/index.js';
import type { SafetyMessageTemplate } from '../../protocols/protocol.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { asDate } from '../common/dates.js';
import { SafetyMessageTemplateEnum } from '../common/enums.js';

/**
 * The text of each safety-message template. Rules name a template, never text, so what a patient
 * reads is reviewed once here. Local numbers are a deployment's choice; these are the US defaults.
 */
export const SAFETY_MESSAGE_TEXT: Readonly<Record<SafetyMessageTemplate, string>> = {
  CRISIS_LINE:
    'You are not alone. If you are thinking about harming yourself, call or text 988 (Suicide & Crisis Lifeline) now, or call 911 in an emergency. Your care team has been told and will contact you.',
  URGENT_CARE_ADVICE:
    'What you logged may need urgent care. If you feel very unwell, call 911 or go to the nearest emergency department. Your care team has been told.',
  CARE_TEAM_WILL_CALL: 'Your care team would like to check in with you and will call you soon.',
};

/** A safety message a protocol sent the patient, as she reads it. */
@ObjectType('SafetyMessage', { description: 'A templated safety message sent to the patient by a care protocol.' })
export class SafetyMessageView implements PatientOwned {
  readonly patientId: string;

  @Field(() => ID)
  @Auth.category('IDENTITY')
  readonly id: string;

  @Field(() => SafetyMessageTemplateEnum)
  @Auth.category('IDENTITY')
  readonly template: SafetyMessageTemplate;

  @Field(() => String)
  @Auth.category('IDENTITY')
  readonly text: string;

  @Field(() => Date)
  @Auth.category('IDENTITY')
  readonly sentAt: Date;

  constructor(row: SafetyMessage) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.template = row.templateKey as SafetyMessageTemplate;
    this.text = SAFETY_MESSAGE_TEXT[this.template] ?? '';
    this.sentAt = asDate(row.sentAt);
  }
}
