import { Arg, Query, Resolver } from 'type-graphql';
import { SCREENING_DEFINITIONS, SCREENING_INSTRUMENT_NAMES, SCREENING_INSTRUMENTS, type ScreeningInstrument } from '../clinical/screening.js';
import { Auth } from '../schema/auth.directive.js';
import { ScreeningInstrumentDefinitionView } from '../schema/clinical/screening-instrument.type.js';
import { ScreeningInstrumentEnum } from '../schema/common/enums.js';

function viewOf(instrument: ScreeningInstrument): ScreeningInstrumentDefinitionView {
  return new ScreeningInstrumentDefinitionView(SCREENING_DEFINITIONS[instrument], SCREENING_INSTRUMENTS[instrument].maxTotal);
}

/** The definitions of the screening questionnaires (public knowledge, not patient data). */
@Resolver()
export class ScreeningInstrumentResolver {
  @Query(() => [ScreeningInstrumentDefinitionView], {
    description: 'Every screening questionnaire submitScreening accepts: items in order, each option and the score the server gives it, cut-offs (any signed-in user).',
  })
  @Auth.category('OPERATIONAL')
  screeningInstruments(): ScreeningInstrumentDefinitionView[] {
    return SCREENING_INSTRUMENT_NAMES.map(viewOf);
  }

  @Query(() => ScreeningInstrumentDefinitionView, { description: 'One screening questionnaire, as screeningInstruments shows it (any signed-in user).' })
  @Auth.category('OPERATIONAL')
  screeningInstrument(@Arg('id', () => ScreeningInstrumentEnum) id: ScreeningInstrument): ScreeningInstrumentDefinitionView {
    return viewOf(id);
  }
}
