import { frozenDefinition, type ScreeningOption } from './screening-definition.js';

/** The PHQ screeners' answer scale (PHQ-9 and GAD-7), scored 0 to 3 down the list. */
export const PHQ_FREQUENCY_OPTIONS: readonly ScreeningOption[] = Object.freeze(
  ['Not at all', 'Several days', 'More than half the days', 'Nearly every day'].map((label, score) => Object.freeze({ label, score })),
);

/** The terms of the PHQ screeners (PHQ-9 and GAD-7), as printed on them. */
export const PHQ_SCREENERS_LICENCE =
  'Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute.';

const ITEMS = [
  'Little interest or pleasure in doing things',
  'Feeling down, depressed, or hopeless',
  'Trouble falling or staying asleep, or sleeping too much',
  'Feeling tired or having little energy',
  'Poor appetite or overeating',
  'Feeling bad about yourself — or that you are a failure or have let yourself or your family down',
  'Trouble concentrating on things, such as reading the newspaper or watching television',
  'Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual',
  'Thoughts that you would be better off dead or of hurting yourself in some way',
] as const;

/**
 * The Patient Health Questionnaire-9 (Kroenke, Spitzer & Williams 2001), free to reproduce. Item 9
 * is the self-harm item. Bands 5/10/15/20 (CLINICAL.md); 10 or more warrants evaluation.
 */
export const PHQ9_DEFINITION = frozenDefinition({
  instrument: 'PHQ9',
  title: 'Patient Health Questionnaire-9',
  instructions: 'Over the last 2 weeks, how often have you been bothered by any of the following problems?',
  citation:
    'Kroenke, K., Spitzer, R.L., & Williams, J.B.W. (2001). The PHQ-9: Validity of a brief depression severity measure. Journal of General Internal Medicine, 16(9), 606–613.',
  licence: PHQ_SCREENERS_LICENCE,
  loincPanel: '44249-1',
  items: ITEMS.map((text, index) => ({ number: index + 1, text, options: PHQ_FREQUENCY_OPTIONS, selfHarm: index === 8 })),
  bands: [
    { band: 'MINIMAL', minTotal: 0, meaning: 'Minimal depression. Item 9 above 0 still prompts immediate risk assessment.' },
    { band: 'MILD', minTotal: 5, meaning: 'Mild depression.' },
    { band: 'MODERATE', minTotal: 10, meaning: 'Moderate depression: warrants evaluation.' },
    { band: 'MODERATELY_SEVERE', minTotal: 15, meaning: 'Moderately severe depression: warrants evaluation.' },
    { band: 'SEVERE', minTotal: 20, meaning: 'Severe depression: warrants evaluation.' },
  ],
});
