import { useState, type FormEvent } from 'react';
import { useSession } from '../../api/session-context.js';
import { graphql } from '../../graphql/gql.js';
import type { CheckInInstrumentsQuery } from '../../graphql/graphql.js';
import { ChoiceGroup } from './choice-group.js';
import { FormStatus, missingAnswer, useServerForm } from './server-form.js';

/** The questionnaires as the server defines them: wording, options, scores, the self-harm item, bands. */
export const ScreeningInstrumentsDocument = graphql(`
  query CheckInInstruments {
    screeningInstruments {
      id
      name
      instructions
      citation
      maxTotal
      selfHarmItem
      items {
        number
        text
        selfHarm
        safetyMessage
        options { answer label score }
      }
      bands { band minTotal maxTotal meaning }
    }
  }
`);

const SubmitScreeningDocument = graphql(`
  mutation CheckInSubmitScreening($input: SubmitScreeningInput!) {
    submitScreening(input: $input) { id recordedAt data }
  }
`);

/** One questionnaire as `screeningInstruments` returns it. */
export type InstrumentDefinition = CheckInInstrumentsQuery['screeningInstruments'][number];
type Item = InstrumentDefinition['items'][number];

/** What the server scored a submitted screening. */
interface ScoredScreening {
  readonly total: number;
  readonly maxTotal: number;
  readonly band: string;
}

/** Whether `item` is the instrument's self-harm item, as the definition marks it. */
function isSelfHarmItem(instrument: InstrumentDefinition, item: Item): boolean {
  return item.selfHarm || instrument.selfHarmItem === item.number;
}

/**
 * A screening questionnaire rendered from the server's definition, all items on one page, each a
 * radio group with its wording as the legend. Choosing an option the server scores above 0 on
 * the self-harm item shows the server's crisis resources at once, before anything is sent.
 * After submission it shows the server's total and band.
 */
export function ScreeningForm(props: { patientId: string; instrument: InstrumentDefinition; onSubmitted?: () => void }) {
  const { patientId, instrument } = props;
  const session = useSession();
  const form = useServerForm();
  const [answers, setAnswers] = useState<ReadonlyMap<number, number>>(new Map());
  const [scored, setScored] = useState<ScoredScreening | null>(null);

  const choose = (item: number, answer: number) => {
    const next = new Map(answers);
    next.set(item, answer);
    setAnswers(next);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      const unanswered = instrument.items.find((item) => !answers.has(item.number));
      if (unanswered) throw missingAnswer(`item-${unanswered.number}`, `Answer question ${unanswered.number} before sending.`);
      const { submitScreening } = await session.request(SubmitScreeningDocument, {
        input: { patientId, instrument: instrument.id, answers: instrument.items.map((item) => answers.get(item.number) ?? -1) },
      });
      const data = submitScreening.data;
      const result = { total: Number(data['total']), maxTotal: Number(data['maxTotal']), band: String(data['band']) };
      setScored(result);
      props.onSubmitted?.();
      return `Sent. Your ${instrument.name} score is ${result.total} out of ${result.maxTotal}.`;
    });
  };

  const band = scored ? instrument.bands.find((range) => range.band === scored.band) : undefined;
  const itemFields = instrument.items.map((item) => `item-${item.number}`);
  return (
    <form className="screening" aria-labelledby={`${instrument.id}-heading`} noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h3 id={`${instrument.id}-heading`}>{instrument.name}</h3>
      <p className="instructions">{instrument.instructions}</p>
      {instrument.items.map((item) => {
        const chosen = answers.get(item.number);
        const chosenOption = item.options.find((option) => option.answer === chosen);
        const atRisk = isSelfHarmItem(instrument, item) && chosenOption !== undefined && chosenOption.score > 0;
        return (
          <div key={item.number} className="screening-item">
            <ChoiceGroup
              legend={
                <>
                  <span className="item-number">{item.number}.</span> {item.text ?? `Question ${item.number}`}
                </>
              }
              name={`${instrument.id}-${item.number}`}
              choices={item.options.map((option) => ({ value: option.answer, label: option.label ?? `Answer ${option.answer + 1}` }))}
              value={chosen ?? null}
              onChange={(answer) => choose(item.number, answer)}
              error={form.fieldError(`item-${item.number}`) ?? form.fieldError(`input.answers[${item.number - 1}]`)}
            />
            <div role="alert">
              {atRisk && item.safetyMessage && (
                <div className="safety" data-testid="safety-message">
                  <p>{item.safetyMessage}</p>
                </div>
              )}
            </div>
          </div>
        );
      })}
      <p className="citation">{instrument.citation}</p>
      {scored ? (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setAnswers(new Map());
            setScored(null);
          }}
        >
          Fill it in again
        </button>
      ) : (
        <button type="submit" disabled={form.busy}>
          Send my answers
        </button>
      )}
      <FormStatus form={form} fields={itemFields} />
      {scored && band && (
        <div className="card score" data-testid="screening-score">
          <p>
            <strong>
              Score: {scored.total} of {scored.maxTotal}
            </strong>
          </p>
          <p>{band.meaning}</p>
        </div>
      )}
    </form>
  );
}
