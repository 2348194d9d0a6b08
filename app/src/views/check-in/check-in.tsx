import { useCallback, useEffect, useState } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';
import { useSession } from '../../api/session-context.js';
import { graphql } from '../../graphql/gql.js';
import type { CheckInInstrumentsQuery, CheckInPatientQuery, CheckInSafetyMessagesQuery } from '../../graphql/graphql.js';
import { ChoiceGroup } from './choice-group.js';
import { BloodPressureForm, FeedingForm, InfantVitalsForm, MoodForm, SleepForm } from './log-forms.js';
import { SafetyMessages, SafetyMessagesDocument } from './safety-messages.js';
import { ScreeningForm, ScreeningInstrumentsDocument } from './screening-form.js';
import './check-in.css';

const CheckInPatientDocument = graphql(`
  query CheckInPatient {
    me {
      id
      patient { id givenName infants { id givenName } }
    }
  }
`);

type OwnRecord = NonNullable<CheckInPatientQuery['me']['patient']>;
type Instruments = CheckInInstrumentsQuery['screeningInstruments'];

/**
 * The patient's check-in page: one short form per thing she logs (mood, a feed, sleep, blood
 * pressure, her baby's weight and temperature) and the screening questionnaires as the server
 * defines them. Built for one hand on a small phone: big targets, one column, plain words.
 */
export function CheckIn() {
  const session = useSession();
  const [record, setRecord] = useState<OwnRecord | null>(null);
  const [instruments, setInstruments] = useState<Instruments>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [instrumentId, setInstrumentId] = useState<string | null>(null);
  const [messages, setMessages] = useState<CheckInSafetyMessagesQuery['mySafetyMessages']>([]);

  const loadMessages = useCallback(() => {
    session.request(SafetyMessagesDocument, {}).then(
      (result) => setMessages(result.mySafetyMessages),
      () => undefined,
    );
  }, [session]);

  useEffect(() => {
    let live = true;
    Promise.all([session.request(CheckInPatientDocument, {}), session.request(ScreeningInstrumentsDocument, {})]).then(
      ([me, catalogue]) => {
        if (!live) return;
        setRecord(me.me.patient ?? null);
        setInstruments(catalogue.screeningInstruments);
        setInstrumentId(catalogue.screeningInstruments[0]?.id ?? null);
        setLoaded(true);
        if (me.me.patient) loadMessages();
      },
      (caught: unknown) => {
        if (!live) return;
        setProblem(caught instanceof GraphQLRequestError ? caught.message : 'Your check-in could not be loaded.');
        setLoaded(true);
      },
    );
    return () => {
      live = false;
    };
  }, [session, loadMessages]);

  const instrument = instruments.find((candidate) => candidate.id === instrumentId);
  return (
    <section className="check-in" aria-labelledby="check-in-heading">
      <h1 id="check-in-heading">{record ? `Check in, ${record.givenName}` : 'Check in'}</h1>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {!loaded && <p role="status">Loading…</p>}
      {loaded && !problem && !record && <p className="notice">Your account is not linked to a patient record yet. Ask your care team to link it.</p>}
      {record && (
        <>
          <p className="lede">Log what you can, when you can. Each part saves on its own; your care team sees it.</p>
          <SafetyMessages messages={messages} />
          <div className="check-in-grid">
            <MoodForm patientId={record.id} />
            {record.infants.length > 0 && <FeedingForm patientId={record.id} infants={record.infants} />}
            <SleepForm patientId={record.id} />
            <BloodPressureForm patientId={record.id} />
            {record.infants.length > 0 && <InfantVitalsForm patientId={record.id} infants={record.infants} />}
          </div>
          <section className="card" aria-labelledby="screening-heading">
            <h2 id="screening-heading">Questionnaires</h2>
            <ChoiceGroup
              legend="Which questionnaire?"
              name="instrument"
              choices={instruments.map((candidate) => ({ value: candidate.id, label: candidate.name }))}
              value={instrumentId}
              onChange={setInstrumentId}
            />
            {instrument && <ScreeningForm key={instrument.id} patientId={record.id} instrument={instrument} onSubmitted={loadMessages} />}
          </section>
        </>
      )}
    </section>
  );
}
