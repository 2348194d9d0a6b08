import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../../api/session-context.js';
import { graphql } from '../../graphql/gql.js';
import { FormStatus, useServerForm } from '../check-in/server-form.js';

const QuietHoursDocument = graphql(`
  query TenantQuietHours {
    quietHours { start end timeZone }
  }
`);

const SetQuietHoursDocument = graphql(`
  mutation SetTenantQuietHours($input: QuietHoursInput) {
    setQuietHours(input: $input) { start end timeZone }
  }
`);

const FIELDS = ['input.start', 'input.end', 'input.timeZone'];

/**
 * The tenant's quiet hours: a daily window in which pages of non-critical alerts wait (critical
 * ones never do). Shows the server's current setting; sets or removes it.
 */
export function QuietHoursForm() {
  const session = useSession();
  const form = useServerForm();
  const [current, setCurrent] = useState<{ start: string; end: string; timeZone: string } | null | undefined>(undefined);
  const [start, setStart] = useState('22:00');
  const [end, setEnd] = useState('07:00');
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone);

  useEffect(() => {
    session.request(QuietHoursDocument, {}).then(
      (result) => {
        setCurrent(result.quietHours ?? null);
        if (result.quietHours) {
          setStart(result.quietHours.start);
          setEnd(result.quietHours.end);
          setTimeZone(result.quietHours.timeZone);
        }
      },
      () => setCurrent(null),
    );
  }, [session]);

  const save = (input: { start: string; end: string; timeZone: string } | null) =>
    form.submit(async () => {
      const { setQuietHours } = await session.request(SetQuietHoursDocument, { input });
      setCurrent(setQuietHours ?? null);
      return setQuietHours ? `Quiet hours saved: ${setQuietHours.start} to ${setQuietHours.end} (${setQuietHours.timeZone}).` : 'Quiet hours removed.';
    });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void save({ start, end, timeZone });
  };
  const field = (id: string, label: string, name: string, type: string, value: string, set: (value: string) => void) => {
    const error = form.fieldError(name);
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input id={id} type={type} value={value} onChange={(event) => set(event.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
        {error && (
          <p className="field-error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </div>
    );
  };
  return (
    <form className="card" aria-labelledby="quiet-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="quiet-heading">Quiet hours</h2>
      <p data-testid="quiet-hours-current">
        {current === undefined
          ? 'Loading…'
          : current
            ? `Now: ${current.start} to ${current.end} (${current.timeZone}). Non-critical pages wait until the window ends; critical alerts never wait.`
            : 'None: every page goes out at once.'}
      </p>
      <div className="field-pair">
        {field('quiet-start', 'From', 'input.start', 'time', start, setStart)}
        {field('quiet-end', 'Until', 'input.end', 'time', end, setEnd)}
      </div>
      {field('quiet-zone', 'Time zone', 'input.timeZone', 'text', timeZone, setTimeZone)}
      <div className="button-row">
        <button type="submit" disabled={form.busy}>
          Save quiet hours
        </button>
        {current && (
          <button type="button" className="secondary" disabled={form.busy} onClick={() => void save(null)}>
            Remove quiet hours
          </button>
        )}
      </div>
      <FormStatus form={form} fields={FIELDS} />
    </form>
  );
}
