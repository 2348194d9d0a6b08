import { useEffect, useId, useRef } from 'react';
import type { GraphQLRequestError } from '../../api/graphql-client.js';

/** A CEL error the server placed: its 1-based line and column and its message without the position. */
export interface PlacedError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * The position the server gave a CEL error (`extensions.line` and `.column`, on `BAD_USER_INPUT`
 * for `field`), or null when the error is about something else or carries no position.
 */
export function placedError(error: GraphQLRequestError | null, field: string): PlacedError | null {
  if (!error || error.field !== field) return null;
  const { line, column } = error.extensions;
  if (typeof line !== 'number' || typeof column !== 'number') return null;
  const suffix = ` (line ${line}, column ${column})`;
  const message = error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
  return { line, column, message };
}

/** The 0-based offset of a 1-based line and column in `text`, clamped to the text. */
function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
  return Math.min(text.length, offset + column - 1);
}

/**
 * A labelled textarea for a CEL condition. When the server refused it, the error is shown under
 * it at its place: the line at fault with a caret under the column, and "line L, column C: …";
 * the textarea is marked invalid, names the error in `aria-describedby`, and the cursor is put
 * at the error. A refusal without a position (or about another field) shows as `otherError`.
 */
export function ConditionEditor(props: {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly error: PlacedError | null;
  readonly otherError?: string | null;
  readonly hint?: string;
}) {
  const id = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  const { error } = props;
  const errorId = error || props.otherError ? `${id}-error` : undefined;
  const hintId = props.hint ? `${id}-hint` : undefined;

  useEffect(() => {
    const textarea = ref.current;
    if (!error || !textarea) return;
    const at = offsetOf(textarea.value, error.line, error.column);
    textarea.focus();
    textarea.setSelectionRange(at, Math.min(textarea.value.length, at + 1));
  }, [error]);

  const lineText = error ? (props.value.split('\n')[error.line - 1] ?? '') : '';
  return (
    <div className="field condition-editor">
      <label htmlFor={id}>{props.label}</label>
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      <textarea
        id={id}
        ref={ref}
        rows={Math.max(4, props.value.split('\n').length + 1)}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
      />
      {error && (
        <div className="cel-error" id={errorId} data-testid="cel-error">
          <pre className="cel-marker" aria-hidden="true" data-testid="cel-marker">
            <span className="cel-line">{lineText}</span>
            {'\n'}
            <span className="cel-caret">{`${' '.repeat(Math.max(0, error.column - 1))}^`}</span>
          </pre>
          <p className="field-error">
            line {error.line}, column {error.column}: {error.message}
          </p>
        </div>
      )}
      {!error && props.otherError && (
        <p className="field-error" id={errorId}>
          {props.otherError}
        </p>
      )}
    </div>
  );
}
