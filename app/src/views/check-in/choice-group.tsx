import { useId, type ReactNode } from 'react';

/** One choice of a {@link ChoiceGroup}. */
export interface Choice<T extends string | number> {
  readonly value: T;
  readonly label: ReactNode;
}

/**
 * A radio group as a fieldset with its legend: big touch targets (each option's whole box is its
 * label), arrow keys move between options as in any radio group, and the server's error for the
 * group's field shown under it and named by `aria-describedby`.
 */
export function ChoiceGroup<T extends string | number>(props: {
  readonly legend: ReactNode;
  readonly name: string;
  readonly choices: readonly Choice<T>[];
  readonly value: T | null;
  readonly onChange: (value: T) => void;
  readonly error?: string | null;
  readonly layout?: 'row' | 'column';
  readonly className?: string;
}) {
  const id = useId();
  const errorId = props.error ? `${id}-error` : undefined;
  return (
    <fieldset className={`choice-group ${props.className ?? ''}`} aria-describedby={errorId}>
      <legend>{props.legend}</legend>
      <div className={`choices choices-${props.layout ?? 'column'}`}>
        {props.choices.map((choice) => (
          <label key={String(choice.value)} className="choice">
            <input
              type="radio"
              name={`${props.name}-${id}`}
              value={String(choice.value)}
              checked={props.value === choice.value}
              onChange={() => props.onChange(choice.value)}
            />
            <span>{choice.label}</span>
          </label>
        ))}
      </div>
      {props.error && (
        <p className="field-error" id={errorId}>
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
