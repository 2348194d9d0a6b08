import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAFETY_MESSAGE_TEXT } from '../../src/schema/alert/safety-message.type.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface Option {
  answer: number;
  label: string;
  score: number;
}
interface Item {
  number: number;
  text: string;
  reverseScored: boolean;
  selfHarm: boolean;
  options: Option[];
}
interface Instrument {
  id: string;
  name: string;
  instructions: string;
  citation: string;
  licence: string;
  loincPanel: string;
  maxTotal: number;
  selfHarmItem: number | null;
  items: Item[];
  bands: Array<{ band: string; minTotal: number; maxTotal: number }>;
}

const INSTRUMENT_FIELDS = `id name instructions citation licence loincPanel maxTotal selfHarmItem
  items { number text reverseScored selfHarm options { answer label score } }
  bands { band minTotal maxTotal }`;

/**
 * The published instruments, written out by hand from the printed forms: EPDS (Cox, Holden &
 * Sagovsky 1987), PHQ-9 (Kroenke, Spitzer & Williams 2001), GAD-7 (Spitzer et al. 2006). Each item
 * is its wording and its options as `[label, score]` in the printed order.
 */
const EPDS: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, number]>]> = [
  ['I have been able to laugh and see the funny side of things', [['As much as I always could', 0], ['Not quite so much now', 1], ['Definitely not so much now', 2], ['Not at all', 3]]],
  ['I have looked forward with enjoyment to things', [['As much as I ever did', 0], ['Rather less than I used to', 1], ['Definitely less than I used to', 2], ['Hardly at all', 3]]],
  ['I have blamed myself unnecessarily when things went wrong', [['Yes, most of the time', 3], ['Yes, some of the time', 2], ['Not very often', 1], ['No, never', 0]]],
  ['I have been anxious or worried for no good reason', [['No, not at all', 0], ['Hardly ever', 1], ['Yes, sometimes', 2], ['Yes, very often', 3]]],
  ['I have felt scared or panicky for no very good reason', [['Yes, quite a lot', 3], ['Yes, sometimes', 2], ['No, not much', 1], ['No, not at all', 0]]],
  [
    'Things have been getting on top of me',
    [
      ["Yes, most of the time I haven't been able to cope at all", 3],
      ["Yes, sometimes I haven't been coping as well as usual", 2],
      ['No, most of the time I have coped quite well', 1],
      ['No, I have been coping as well as ever', 0],
    ],
  ],
  ['I have been so unhappy that I have had difficulty sleeping', [['Yes, most of the time', 3], ['Yes, sometimes', 2], ['Not very often', 1], ['No, not at all', 0]]],
  ['I have felt sad or miserable', [['Yes, most of the time', 3], ['Yes, quite often', 2], ['Not very often', 1], ['No, not at all', 0]]],
  ['I have been so unhappy that I have been crying', [['Yes, most of the time', 3], ['Yes, quite often', 2], ['Only occasionally', 1], ['No, never', 0]]],
  ['The thought of harming myself has occurred to me', [['Yes, quite often', 3], ['Sometimes', 2], ['Hardly ever', 1], ['Never', 0]]],
];
const FREQUENCY: ReadonlyArray<readonly [string, number]> = [['Not at all', 0], ['Several days', 1], ['More than half the days', 2], ['Nearly every day', 3]];
const PHQ9_ITEMS = [
  'Little interest or pleasure in doing things',
  'Feeling down, depressed, or hopeless',
  'Trouble falling or staying asleep, or sleeping too much',
  'Feeling tired or having little energy',
  'Poor appetite or overeating',
  'Feeling bad about yourself — or that you are a failure or have let yourself or your family down',
  'Trouble concentrating on things, such as reading the newspaper or watching television',
  'Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual',
  'Thoughts that you would be better off dead or of hurting yourself in some way',
];
const GAD7_ITEMS = [
  'Feeling nervous, anxious, or on edge',
  'Not being able to stop or control worrying',
  'Worrying too much about different things',
  'Trouble relaxing',
  'Being so restless that it is hard to sit still',
  'Becoming easily annoyed or irritable',
  'Feeling afraid, as if something awful might happen',
];

/** What the API must show for an item written as wording and `[label, score]` options. */
function expectedItem(text: string, options: ReadonlyArray<readonly [string, number]>, number: number, selfHarm: boolean): Item {
  return {
    number,
    text,
    reverseScored: options[0]![1] === 3,
    selfHarm,
    options: options.map(([label, score], answer) => ({ answer, label, score })),
  };
}

describe('screeningInstruments', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let mother: TestPatient;
  let instruments: Instrument[];

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    mother = await tenant.patient(coordinator, { withLogin: true });
    instruments = (await gqlOk<{ screeningInstruments: Instrument[] }>(ts.url, `{ screeningInstruments { ${INSTRUMENT_FIELDS} } }`, {}, mother.user!.token)).screeningInstruments;
  });
  afterAll(async () => {
    await ts?.close();
  });

  const byId = (id: string): Instrument => instruments.find((i) => i.id === id)!;

  it('lists the three instruments submitScreening accepts', () => {
    expect(instruments.map((i) => i.id)).toEqual(['EPDS', 'PHQ9', 'GAD7']);
  });

  it('shows the EPDS items in order with their published wording, each option with its score (items 3 and 5-10 reversed)', () => {
    const epds = byId('EPDS');
    expect(epds.items).toEqual(EPDS.map(([text, options], i) => expectedItem(text, options, i + 1, i === 9)));
    expect(epds.items.filter((item) => item.reverseScored).map((item) => item.number)).toEqual([3, 5, 6, 7, 8, 9, 10]);
    expect(epds).toMatchObject({ name: 'Edinburgh Postnatal Depression Scale', loincPanel: '71354-5', maxTotal: 30, selfHarmItem: 10 });
    expect(epds.instructions).toMatch(/IN THE PAST 7 DAYS/);
  });

  it('reproduces the EPDS with its citation and its reproduction terms', () => {
    const epds = byId('EPDS');
    expect(epds.citation).toMatch(/^Cox, J\.L\., Holden, J\.M\., & Sagovsky, R\. \(1987\)\. Detection of postnatal depression/);
    expect(epds.citation).toMatch(/British Journal of Psychiatry, 150, 782–786/);
    expect(epds.licence).toMatch(/quoting the names of the authors, the title and the source of the paper/);
  });

  it('shows the PHQ-9 and GAD-7 items in order, each scored 0-3 down the same four options', () => {
    const phq9 = byId('PHQ9');
    const gad7 = byId('GAD7');
    expect(phq9.items).toEqual(PHQ9_ITEMS.map((text, i) => expectedItem(text, FREQUENCY, i + 1, i === 8)));
    expect(gad7.items).toEqual(GAD7_ITEMS.map((text, i) => expectedItem(text, FREQUENCY, i + 1, false)));
    expect(phq9).toMatchObject({ maxTotal: 27, selfHarmItem: 9, loincPanel: '44249-1' });
    expect(gad7).toMatchObject({ maxTotal: 21, selfHarmItem: null, loincPanel: '69737-5' });
    expect(phq9.instructions).toBe('Over the last 2 weeks, how often have you been bothered by any of the following problems?');
    for (const instrument of [phq9, gad7]) expect(instrument.licence).toMatch(/Pfizer Inc\. No permission required to reproduce/);
  });

  it('shows the published cut-offs as bands covering every total', () => {
    expect(byId('EPDS').bands).toEqual([
      { band: 'NONE', minTotal: 0, maxTotal: 9 },
      { band: 'POSSIBLE', minTotal: 10, maxTotal: 12 },
      { band: 'PROBABLE', minTotal: 13, maxTotal: 30 },
    ]);
    expect(byId('PHQ9').bands).toEqual([
      { band: 'MINIMAL', minTotal: 0, maxTotal: 4 },
      { band: 'MILD', minTotal: 5, maxTotal: 9 },
      { band: 'MODERATE', minTotal: 10, maxTotal: 14 },
      { band: 'MODERATELY_SEVERE', minTotal: 15, maxTotal: 19 },
      { band: 'SEVERE', minTotal: 20, maxTotal: 27 },
    ]);
    expect(byId('GAD7').bands).toEqual([
      { band: 'MINIMAL', minTotal: 0, maxTotal: 4 },
      { band: 'MILD', minTotal: 5, maxTotal: 9 },
      { band: 'MODERATE', minTotal: 10, maxTotal: 14 },
      { band: 'SEVERE', minTotal: 15, maxTotal: 21 },
    ]);
  });

  it('scores a submission made by option labels as the catalogue says: the healthiest EPDS answers total 0, the first options 21', async () => {
    const epds = byId('EPDS');
    const submit = async (answers: number[]) =>
      (
        await gqlOk<{ submitScreening: { data: { total: number; items: number[]; selfHarmItemPositive: boolean } } }>(
          ts.url,
          'mutation($input: SubmitScreeningInput!) { submitScreening(input: $input) { data } }',
          { input: { patientId: mother.id, instrument: 'EPDS', answers } },
          mother.user!.token,
        )
      ).submitScreening.data;
    const healthiest = epds.items.map((item) => item.options.find((o) => o.score === 0)!.answer);
    expect(await submit(healthiest)).toMatchObject({ total: 0, items: Array(10).fill(0), selfHarmItemPositive: false });
    expect(await submit(Array(10).fill(0))).toMatchObject({ total: 21, items: [0, 0, 3, 0, 3, 3, 3, 3, 3, 3], selfHarmItemPositive: true });
  });

  it('gives the self-harm items (and only them) the crisis resources to show before submission, the CRISIS_LINE text', async () => {
    const data = await gqlOk<{ screeningInstruments: Array<{ id: string; items: Array<{ number: number; safetyMessage: string | null }> }> }>(
      ts.url,
      '{ screeningInstruments { id items { number safetyMessage } } }',
      {},
      mother.user!.token,
    );
    const withMessage = data.screeningInstruments.flatMap((i) => i.items.filter((item) => item.safetyMessage !== null).map((item) => `${i.id} ${item.number}`));
    expect(withMessage).toEqual(['EPDS 10', 'PHQ9 9']);
    const epdsItem10 = data.screeningInstruments[0]!.items[9]!;
    expect(epdsItem10.safetyMessage).toBe(SAFETY_MESSAGE_TEXT.CRISIS_LINE);
    expect(epdsItem10.safetyMessage).toMatch(/988/);
  });

  it('answers one instrument by id, as the list shows it', async () => {
    const data = await gqlOk<{ screeningInstrument: Instrument }>(ts.url, `{ screeningInstrument(id: GAD7) { ${INSTRUMENT_FIELDS} } }`, {}, coordinator.token);
    expect(data.screeningInstrument).toEqual(byId('GAD7'));
  });

  it('lets any signed-in role read the definitions (they are not patient data), and nobody signed out', async () => {
    const researcher = await tenant.user('RESEARCHER');
    const query = '{ screeningInstruments { id } }';
    for (const token of [researcher.token, tenant.admin.token, coordinator.token]) {
      expect((await gqlOk<{ screeningInstruments: Array<{ id: string }> }>(ts.url, query, {}, token)).screeningInstruments).toHaveLength(3);
    }
    const signedOut = await gql(ts.url, query);
    expect(errorOf(signedOut).code).toBe('UNAUTHENTICATED');
    expect(signedOut.data ?? null).toBeNull();
  });
});
