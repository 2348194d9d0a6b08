import type { ScreeningInstrument } from './screening-instrument.js';

/**
 * Thrown when submitted screening answers are malformed. Messages name the
 * offending field and the allowed range but never echo the answers themselves
 * (they are PHI). Resolvers map it to a GraphQL `BAD_USER_INPUT` error carrying
 * {@link ScreeningInputError.field}.
 *
 * Built only through the static factories, so every message lives here.
 */
export class ScreeningInputError extends Error {
  /** The input path at fault, e.g. `'instrument'`, `'answers'` or `'answers[3]'`. */
  readonly field: string;

  private constructor(field: string, message: string) {
    super(message);
    this.name = 'ScreeningInputError';
    this.field = field;
  }

  /** The instrument named is not one Cradle can score. */
  static unknownInstrument(): ScreeningInputError {
    return new ScreeningInputError('instrument', 'instrument must be one of EPDS, PHQ9, GAD7');
  }

  /** The answers are not an array at all. */
  static answersNotAList(instrument: ScreeningInstrument, itemCount: number): ScreeningInputError {
    return new ScreeningInputError('answers', `${instrument} needs a list of exactly ${itemCount} answers`);
  }

  /** The number of answers differs from the instrument's item count. */
  static wrongAnswerCount(instrument: ScreeningInstrument, itemCount: number, received: number): ScreeningInputError {
    return new ScreeningInputError('answers', `${instrument} needs exactly ${itemCount} answers, got ${received}`);
  }

  /** One answer is not an integer within the allowed options. */
  static answerOutOfRange(index: number, maxOption: number): ScreeningInputError {
    const field = `answers[${index}]`;
    return new ScreeningInputError(field, `${field} must be an integer from 0 to ${maxOption}`);
  }
}
