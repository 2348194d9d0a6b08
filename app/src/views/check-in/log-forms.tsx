import { useState, type FormEvent } from 'react';
import { useSession } from '../../api/session-context.js';
import { graphql } from '../../graphql/gql.js';
import type { FeedingMethod } from '../../graphql/graphql.js';
import { ChoiceGroup } from './choice-group.js';
import { FormStatus, missingAnswer, NumberField, numberOrNull, timeOfDay, useServerForm } from './server-form.js';

const LogMoodDocument = graphql(`
  mutation CheckInLogMood($input: LogMoodInput!) {
    logMood(input: $input) { id recordedAt data }
  }
`);

const LogFeedingDocument = graphql(`
  mutation CheckInLogFeeding($input: LogFeedingInput!) {
    logFeeding(input: $input) { id recordedAt data }
  }
`);

const LogSleepDocument = graphql(`
  mutation CheckInLogSleep($input: LogSleepInput!) {
    logSleep(input: $input) { id recordedAt data }
  }
`);

const LogVitalsDocument = graphql(`
  mutation CheckInLogVitals($input: LogVitalsInput!) {
    logVitals(input: $input) { id recordedAt data }
  }
`);

const LogInfantVitalsDocument = graphql(`
  mutation CheckInLogInfantVitals($input: LogInfantVitalsInput!) {
    logInfantVitals(input: $input) { id recordedAt data }
  }
`);

/** A baby of the signed-in mother, as `me.patient.infants` lists her. */
export interface InfantChoice {
  readonly id: string;
  readonly givenName: string;
}

const MOOD_WORDS: Readonly<Record<number, string>> = { 1: 'Very low', 2: 'Low', 3: 'Okay', 4: 'Good', 5: 'Very good' };

/** Logs her mood, 1 (very low) to 5 (very good). */
export function MoodForm({ patientId }: { patientId: string }) {
  const session = useSession();
  const form = useServerForm();
  const [score, setScore] = useState<number | null>(null);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      if (score === null) throw missingAnswer('input.score', 'Choose how you are feeling.');
      const { logMood } = await session.request(LogMoodDocument, { input: { patientId, score } });
      return `Saved at ${timeOfDay(logMood.recordedAt)}: mood ${String(logMood.data['score'])} of 5.`;
    });
  };
  return (
    <form className="card log-form" aria-labelledby="mood-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="mood-heading">Mood</h2>
      <ChoiceGroup
        legend="How are you feeling right now?"
        name="mood"
        layout="row"
        className="mood"
        choices={[1, 2, 3, 4, 5].map((value) => ({
          value,
          label: (
            <>
              <strong className="mood-number">{value}</strong> <span className="mood-word">{MOOD_WORDS[value]}</span>
            </>
          ),
        }))}
        value={score}
        onChange={setScore}
        error={form.fieldError('input.score')}
      />
      <button type="submit" disabled={form.busy}>
        Save mood
      </button>
      <FormStatus form={form} fields={['input.score']} />
    </form>
  );
}

const FEEDING_METHODS: ReadonlyArray<{ value: FeedingMethod; label: string }> = [
  { value: 'BREAST', label: 'Breast' },
  { value: 'BOTTLE_BREASTMILK', label: 'Bottle of breast milk' },
  { value: 'FORMULA', label: 'Formula' },
];
const FEEDING_FIELDS = ['input.infantId', 'input.method', 'input.durationMinutes', 'input.volumeMl', 'input.wetDiapers', 'input.dirtyDiapers'];

/** Logs one feed of a baby: how, for how long or how much, and the diapers since the last log. */
export function FeedingForm({ patientId, infants }: { patientId: string; infants: readonly InfantChoice[] }) {
  const session = useSession();
  const form = useServerForm();
  const [infantId, setInfantId] = useState<string | null>(infants[0]?.id ?? null);
  const [method, setMethod] = useState<FeedingMethod | null>(null);
  const [duration, setDuration] = useState('');
  const [volume, setVolume] = useState('');
  const [wet, setWet] = useState('');
  const [dirty, setDirty] = useState('');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      if (!method) throw missingAnswer('input.method', 'Choose how the baby was fed.');
      const { logFeeding } = await session.request(LogFeedingDocument, {
        input: {
          patientId,
          infantId: infantId ?? '',
          method,
          durationMinutes: numberOrNull(duration),
          volumeMl: numberOrNull(volume),
          wetDiapers: numberOrNull(wet),
          dirtyDiapers: numberOrNull(dirty),
        },
      });
      const name = infants.find((infant) => infant.id === infantId)?.givenName ?? 'your baby';
      return `Saved at ${timeOfDay(logFeeding.recordedAt)}: a feed for ${name}.`;
    });
  };
  return (
    <form className="card log-form" aria-labelledby="feed-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="feed-heading">Feed</h2>
      {infants.length > 1 && (
        <ChoiceGroup
          legend="Which baby?"
          name="infant"
          choices={infants.map((infant) => ({ value: infant.id, label: infant.givenName }))}
          value={infantId}
          onChange={setInfantId}
          error={form.fieldError('input.infantId')}
        />
      )}
      {infants.length === 1 && <p className="for-whom">For {infants[0]?.givenName}</p>}
      <ChoiceGroup legend="How was the baby fed?" name="method" choices={FEEDING_METHODS} value={method} onChange={setMethod} error={form.fieldError('input.method')} />
      <div className="field-pair">
        <NumberField label="Minutes feeding" hint="For a breastfeed" value={duration} onChange={setDuration} error={form.fieldError('input.durationMinutes')} />
        <NumberField label="Amount (ml)" hint="For a bottle" value={volume} onChange={setVolume} error={form.fieldError('input.volumeMl')} />
      </div>
      <div className="field-pair">
        <NumberField label="Wet diapers" hint="Since your last log" integer value={wet} onChange={setWet} error={form.fieldError('input.wetDiapers')} />
        <NumberField label="Dirty diapers" hint="Since your last log" integer value={dirty} onChange={setDirty} error={form.fieldError('input.dirtyDiapers')} />
      </div>
      <button type="submit" disabled={form.busy}>
        Save feed
      </button>
      <FormStatus form={form} fields={FEEDING_FIELDS} />
    </form>
  );
}

/** Logs how many hours she slept. */
export function SleepForm({ patientId }: { patientId: string }) {
  const session = useSession();
  const form = useServerForm();
  const [hours, setHours] = useState('');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      const slept = numberOrNull(hours);
      if (slept === null) throw missingAnswer('input.hours', 'Enter the hours you slept.');
      const { logSleep } = await session.request(LogSleepDocument, { input: { patientId, hours: slept } });
      return `Saved at ${timeOfDay(logSleep.recordedAt)}: ${String(logSleep.data['hours'])} hours of sleep.`;
    });
  };
  return (
    <form className="card log-form" aria-labelledby="sleep-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="sleep-heading">Sleep</h2>
      <NumberField label="Hours you slept" hint="In the last 24 hours" value={hours} onChange={setHours} error={form.fieldError('input.hours')} />
      <button type="submit" disabled={form.busy}>
        Save sleep
      </button>
      <FormStatus form={form} fields={['input.hours']} />
    </form>
  );
}

/** Logs her blood pressure (systolic over diastolic, mmHg). */
export function BloodPressureForm({ patientId }: { patientId: string }) {
  const session = useSession();
  const form = useServerForm();
  const [systolic, setSystolic] = useState('');
  const [diastolic, setDiastolic] = useState('');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      const { logVitals } = await session.request(LogVitalsDocument, {
        input: { patientId, systolic: numberOrNull(systolic), diastolic: numberOrNull(diastolic) },
      });
      const data = logVitals.data;
      return `Saved at ${timeOfDay(logVitals.recordedAt)}: blood pressure ${String(data['systolic'] ?? '–')}/${String(data['diastolic'] ?? '–')} mmHg.`;
    });
  };
  return (
    <form className="card log-form" aria-labelledby="bp-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="bp-heading">Blood pressure</h2>
      <div className="field-pair">
        <NumberField label="Systolic (top number)" hint="mmHg" value={systolic} onChange={setSystolic} error={form.fieldError('input.systolic')} />
        <NumberField label="Diastolic (bottom number)" hint="mmHg" value={diastolic} onChange={setDiastolic} error={form.fieldError('input.diastolic')} />
      </div>
      <button type="submit" disabled={form.busy}>
        Save blood pressure
      </button>
      <FormStatus form={form} fields={['input.systolic', 'input.diastolic']} />
    </form>
  );
}

/** Logs a baby's weight and temperature. */
export function InfantVitalsForm({ patientId, infants }: { patientId: string; infants: readonly InfantChoice[] }) {
  const session = useSession();
  const form = useServerForm();
  const [infantId, setInfantId] = useState<string | null>(infants[0]?.id ?? null);
  const [weight, setWeight] = useState('');
  const [temperature, setTemperature] = useState('');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      const { logInfantVitals } = await session.request(LogInfantVitalsDocument, {
        input: { patientId, infantId: infantId ?? '', weightGrams: numberOrNull(weight), temperatureC: numberOrNull(temperature) },
      });
      const name = infants.find((infant) => infant.id === infantId)?.givenName ?? 'your baby';
      return `Saved at ${timeOfDay(logInfantVitals.recordedAt)}: ${name}'s measurements.`;
    });
  };
  return (
    <form className="card log-form" aria-labelledby="baby-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="baby-heading">Baby's weight and temperature</h2>
      {infants.length > 1 && (
        <ChoiceGroup
          legend="Which baby?"
          name="infant-vitals"
          choices={infants.map((infant) => ({ value: infant.id, label: infant.givenName }))}
          value={infantId}
          onChange={setInfantId}
          error={form.fieldError('input.infantId')}
        />
      )}
      {infants.length === 1 && <p className="for-whom">For {infants[0]?.givenName}</p>}
      <div className="field-pair">
        <NumberField label="Weight (grams)" value={weight} onChange={setWeight} error={form.fieldError('input.weightGrams')} integer />
        <NumberField label="Temperature (°C)" value={temperature} onChange={setTemperature} error={form.fieldError('input.temperatureC')} />
      </div>
      <button type="submit" disabled={form.busy}>
        Save baby's measurements
      </button>
      <FormStatus form={form} fields={['input.infantId', 'input.weightGrams', 'input.temperatureC']} />
    </form>
  );
}
