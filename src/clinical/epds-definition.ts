import { frozenDefinition, type ScreeningOption } from './screening-definition.js';

/** Options scored 0, 1, 2, 3 down the list (EPDS items 1, 2 and 4). */
function forward(labels: readonly [string, string, string, string]): ScreeningOption[] {
  return labels.map((label, index) => ({ label, score: index }));
}

/** Options scored 3, 2, 1, 0 down the list (EPDS items 3 and 5–10). */
function reverse(labels: readonly [string, string, string, string]): ScreeningOption[] {
  return labels.map((label, index) => ({ label, score: 3 - index }));
}

/**
 * The Edinburgh Postnatal Depression Scale (Cox, Holden & Sagovsky 1987), reproduced with its
 * citation as its authors allow. Items 3 and 5–10 are reverse-scored; item 10 is the self-harm item.
 * Cut-offs follow CLINICAL.md: 13 or more probable depression (Cox et al. 1987), 10 or more possible
 * depression where more sensitivity is wanted (Levis et al., BMJ 2020;371:m4022).
 */
export const EPDS_DEFINITION = frozenDefinition({
  instrument: 'EPDS',
  title: 'Edinburgh Postnatal Depression Scale',
  instructions:
    'As you have recently had a baby, we would like to know how you are feeling. Please choose the answer which comes closest to how you have felt IN THE PAST 7 DAYS, not just how you feel today.',
  citation:
    'Cox, J.L., Holden, J.M., & Sagovsky, R. (1987). Detection of postnatal depression: Development of the 10-item Edinburgh Postnatal Depression Scale. British Journal of Psychiatry, 150, 782–786.',
  licence:
    'Users may reproduce the scale without further permission, providing they respect copyright by quoting the names of the authors, the title and the source of the paper in all reproduced copies.',
  loincPanel: '71354-5',
  items: [
    {
      number: 1,
      text: 'I have been able to laugh and see the funny side of things',
      options: forward(['As much as I always could', 'Not quite so much now', 'Definitely not so much now', 'Not at all']),
      selfHarm: false,
    },
    {
      number: 2,
      text: 'I have looked forward with enjoyment to things',
      options: forward(['As much as I ever did', 'Rather less than I used to', 'Definitely less than I used to', 'Hardly at all']),
      selfHarm: false,
    },
    {
      number: 3,
      text: 'I have blamed myself unnecessarily when things went wrong',
      options: reverse(['Yes, most of the time', 'Yes, some of the time', 'Not very often', 'No, never']),
      selfHarm: false,
    },
    {
      number: 4,
      text: 'I have been anxious or worried for no good reason',
      options: forward(['No, not at all', 'Hardly ever', 'Yes, sometimes', 'Yes, very often']),
      selfHarm: false,
    },
    {
      number: 5,
      text: 'I have felt scared or panicky for no very good reason',
      options: reverse(['Yes, quite a lot', 'Yes, sometimes', 'No, not much', 'No, not at all']),
      selfHarm: false,
    },
    {
      number: 6,
      text: 'Things have been getting on top of me',
      options: reverse([
        "Yes, most of the time I haven't been able to cope at all",
        "Yes, sometimes I haven't been coping as well as usual",
        'No, most of the time I have coped quite well',
        'No, I have been coping as well as ever',
      ]),
      selfHarm: false,
    },
    {
      number: 7,
      text: 'I have been so unhappy that I have had difficulty sleeping',
      options: reverse(['Yes, most of the time', 'Yes, sometimes', 'Not very often', 'No, not at all']),
      selfHarm: false,
    },
    {
      number: 8,
      text: 'I have felt sad or miserable',
      options: reverse(['Yes, most of the time', 'Yes, quite often', 'Not very often', 'No, not at all']),
      selfHarm: false,
    },
    {
      number: 9,
      text: 'I have been so unhappy that I have been crying',
      options: reverse(['Yes, most of the time', 'Yes, quite often', 'Only occasionally', 'No, never']),
      selfHarm: false,
    },
    {
      number: 10,
      text: 'The thought of harming myself has occurred to me',
      options: reverse(['Yes, quite often', 'Sometimes', 'Hardly ever', 'Never']),
      selfHarm: true,
    },
  ],
  bands: [
    { band: 'NONE', minTotal: 0, meaning: 'Below both cut-offs. Item 10 above 0 still prompts immediate risk assessment.' },
    { band: 'POSSIBLE', minTotal: 10, meaning: 'Possible depression: the more sensitive cut-off (Levis et al., BMJ 2020;371:m4022).' },
    { band: 'PROBABLE', minTotal: 13, meaning: 'Probable depression: assess (Cox et al. 1987).' },
  ],
});
