import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';

/** What a form shows after the server answered: nothing yet, its confirmation, or its refusal. */
export type FormOutcome =
  | { readonly kind: 'idle' }
  | { readonly kind: 'saved'; readonly message: string }
  | { readonly kind: 'refused'; readonly error: GraphQLRequestError };

/** A form's submission state and the server's answer, with the error of one field picked out. */
export interface ServerForm {
  readonly outcome: FormOutcome;
  readonly busy: boolean;
  /** The form element (focus moves to the field at fault, the first option of a radio group at fault, or the form's error, after a refusal). */
  readonly formRef: RefObject<HTMLFormElement>;
  /** Runs `save`; its result is the confirmation shown, a {@link GraphQLRequestError} the refusal. */
  submit(save: () => Promise<string>): Promise<void>;
  /** The server's message when it refused the input field `field` (e.g. `input.systolic`), else null. */
  fieldError(field: string): string | null;
  /** The server's message when it refused something none of `fields` shows (shown for the whole form). */
  formError(fields: readonly string[]): string | null;
}

/**
 * State for a form whose every judgement is the server's: it sends, then shows the server's
 * confirmation or its `BAD_USER_INPUT` message next to the field the error names. Forms using it
 * set `noValidate`, so the browser's own checks never stand in for the server's.
 */
export function useServerForm(): ServerForm {
  const [outcome, setOutcome] = useState<FormOutcome>({ kind: 'idle' });
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (outcome.kind !== 'refused') return;
    const form = formRef.current;
    const target =
      form?.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      form?.querySelector<HTMLElement>('.choice-group:has(.field-error) input') ??
      form?.querySelector<HTMLElement>('.form-error');
    target?.focus();
  }, [outcome]);

  return {
    outcome,
    busy,
    formRef,
    async submit(save) {
      setBusy(true);
      try {
        setOutcome({ kind: 'saved', message: await save() });
      } catch (caught) {
        if (!(caught instanceof GraphQLRequestError)) throw caught;
        setOutcome({ kind: 'refused', error: caught });
      } finally {
        setBusy(false);
      }
    },
    fieldError(field) {
      return outcome.kind === 'refused' && outcome.error.field === field ? outcome.error.message : null;
    },
    formError(fields) {
      if (outcome.kind !== 'refused') return null;
      return outcome.error.field !== undefined && fields.includes(outcome.error.field) ? null : outcome.error.message;
    },
  };
}

/**
 * The line under a form: the server's confirmation (a polite live region, present before it has
 * anything to say so screen readers announce it) or the refusal that belongs to no one field.
 */
export function FormStatus({ form, fields }: { form: ServerForm; fields: readonly string[] }) {
  const error = form.formError(fields);
  return (
    <>
      {error && (
        <p className="error form-error" role="alert" tabIndex={-1}>
          {error}
        </p>
      )}
      <p className={form.outcome.kind === 'saved' ? 'saved' : 'saved-empty'} role="status">
        {form.outcome.kind === 'saved' ? form.outcome.message : ''}
      </p>
    </>
  );
}

/** The ids a field's hint and error take, and its `aria-describedby`. */
function describedBy(hintId: string | null, errorId: string | null): string | undefined {
  const ids = [hintId, errorId].filter(Boolean).join(' ');
  return ids || undefined;
}

/**
 * A labelled number input with an optional hint and the server's error for its field shown
 * under it (`aria-invalid`, and `aria-describedby` naming the hint and the error).
 */
export function NumberField(props: {
  readonly label: string;
  readonly hint?: ReactNode;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly error: string | null;
  readonly integer?: boolean;
}) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : null;
  const errorId = props.error ? `${id}-error` : null;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.hint && (
        <p className="hint" id={hintId ?? undefined}>
          {props.hint}
        </p>
      )}
      <input
        id={id}
        type="number"
        inputMode={props.integer ? 'numeric' : 'decimal'}
        step={props.integer ? 1 : 'any'}
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(hintId, errorId)}
      />
      {props.error && (
        <p className="field-error" id={errorId ?? undefined}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A number field's text as the API takes it: null when empty, else the number typed. */
export function numberOrNull(text: string): number | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : Number(trimmed);
}

/** A time of day for a confirmation ("14:05"), in the device's locale and time zone. */
export function timeOfDay(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * A refusal raised before sending, for an answer the API cannot even carry (a required choice not
 * made); shown at `field` exactly as the server's own refusals are.
 */
export function missingAnswer(field: string, message: string): GraphQLRequestError {
  return new GraphQLRequestError([{ message, extensions: { code: 'BAD_USER_INPUT', field } }]);
}
