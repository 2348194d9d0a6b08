import { PHQ_FREQUENCY_OPTIONS, PHQ_SCREENERS_LICENCE } from './phq9-definition.js';
import { frozenDefinition } from './screening-definition.js';

const ITEMS = [
  'Feeling nervous, anxious, or on edge',
  'Not being able to stop or control worrying',
  'Worrying too much about different things',
  'Trouble relaxing',
  'Being so restless that it is hard to sit still',
  'Becoming easily annoyed or irritable',
  'Feeling afraid, as if something awful might happen',
] as const;

/**
 * The Generalized Anxiety Disorder-7 scale (Spitzer, Kroenke, Williams & Löwe 2006), free to
 * reproduce; it uses the PHQ-9's answer scale and has no self-harm item. Bands 5/10/15
 * (CLINICAL.md); 10 or more warrants further evaluation.
 */
export const GAD7_DEFINITION = frozenDefinition({
  instrument: 'GAD7',
  title: 'Generalized Anxiety Disorder-7',
  instructions: 'Over the last 2 weeks, how often have you been bothered by the following problems?',
  citation:
    'Spitzer, R.L., Kroenke, K., Williams, J.B.W., & Löwe, B. (2006). A brief measure for assessing generalized anxiety disorder: The GAD-7. Archives of Internal Medicine, 166(10), 1092–1097.',
  licence: PHQ_SCREENERS_LICENCE,
  loincPanel: '69737-5',
  items: ITEMS.map((text, index) => ({ number: index + 1, text, options: PHQ_FREQUENCY_OPTIONS, selfHarm: false })),
  bands: [
    { band: 'MINIMAL', minTotal: 0, meaning: 'Minimal anxiety.' },
    { band: 'MILD', minTotal: 5, meaning: 'Mild anxiety.' },
    { band: 'MODERATE', minTotal: 10, meaning: 'Moderate anxiety: warrants further evaluation.' },
    { band: 'SEVERE', minTotal: 15, meaning: 'Severe anxiety: warrants further evaluation.' },
  ],
});
