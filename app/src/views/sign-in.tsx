import { useEffect, useRef, useState, type FormEvent } from 'react';
import { GraphQLRequestError } from '../api/graphql-client.js';
import { useSession } from '../api/session-context.js';
import { graphql } from '../graphql/gql.js';

const BeginEnrolmentDocument = graphql(`
  mutation BeginTotpEnrolment($enrolmentToken: String) {
    beginTotpEnrolment(enrolmentToken: $enrolmentToken) { secret otpauthUri }
  }
`);

const ConfirmEnrolmentDocument = graphql(`
  mutation ConfirmTotpEnrolment($code: String!, $enrolmentToken: String) {
    confirmTotpEnrolment(code: $code, enrolmentToken: $enrolmentToken) { recoveryCodes }
  }
`);

/** Which step of signing in the page shows. */
type Step =
  | { readonly kind: 'password' }
  | { readonly kind: 'code' }
  | { readonly kind: 'enrol'; readonly enrolmentToken: string; readonly secret: string | null }
  | { readonly kind: 'recovery-codes'; readonly codes: readonly string[] };

/**
 * The sign-in page: e-mail and password, then a TOTP (or recovery) code when the server asks for
 * one, or enrolment of an authenticator when the tenant requires a second factor the account lacks.
 * Every message shown is the server's answer; the page decides nothing.
 */
export function SignIn() {
  const session = useSession();
  const reason = session.signInReason;
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errorRef = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (step.kind === 'enrol') {
        const result = await session.request(ConfirmEnrolmentDocument, { code, enrolmentToken: step.enrolmentToken });
        setCode('');
        setStep({ kind: 'recovery-codes', codes: result.confirmTotpEnrolment.recoveryCodes });
        return;
      }
      await session.signIn(email, password, step.kind === 'code' ? code : undefined);
    } catch (caught) {
      if (!(caught instanceof GraphQLRequestError)) throw caught;
      const reasonCode = caught.extensions['reason'];
      if (reasonCode === 'TOTP_REQUIRED' || reasonCode === 'TOTP_INVALID') {
        setStep({ kind: 'code' });
        setCode('');
      } else if (reasonCode === 'TOTP_ENROLMENT_REQUIRED' && typeof caught.extensions['enrolmentToken'] === 'string') {
        const enrolmentToken = caught.extensions['enrolmentToken'];
        const enrolment = await session.request(BeginEnrolmentDocument, { enrolmentToken }).catch(() => null);
        setStep({ kind: 'enrol', enrolmentToken, secret: enrolment?.beginTotpEnrolment.secret ?? null });
      }
      setError(caught.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Cradle</h1>
      <p className="lede">Postnatal care coordination</p>
      {reason.kind === 'ended' && !error && (
        <p className="notice" role="status">
          {reason.message}
        </p>
      )}
      {reason.kind === 'signed-out' && !error && (
        <p className="notice" role="status">
          You have signed out.
        </p>
      )}
      {error && (
        <p className="error" role="alert" tabIndex={-1} ref={errorRef}>
          {error}
        </p>
      )}
      {step.kind === 'recovery-codes' ? (
        <section aria-labelledby="recovery-heading">
          <h2 id="recovery-heading">Your recovery codes</h2>
          <p>Each code works once in place of an authenticator code. Keep them somewhere safe; they are shown only now.</p>
          <ul className="recovery-codes">
            {step.codes.map((recoveryCode) => (
              <li key={recoveryCode}>
                <code>{recoveryCode}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setStep({ kind: 'code' })}>
            Continue to sign in
          </button>
        </section>
      ) : (
        <form onSubmit={submit} aria-label="Sign in">
          <label>
            E-mail
            <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} disabled={step.kind === 'enrol'} />
          </label>
          <label>
            Password
            <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} disabled={step.kind === 'enrol'} />
          </label>
          {step.kind === 'enrol' && (
            <div className="enrol">
              <p>
                Add Cradle to your authenticator app with this key, then enter the code it shows.
                {step.secret && (
                  <>
                    {' '}
                    Key: <code className="secret">{step.secret}</code>
                  </>
                )}
              </p>
            </div>
          )}
          {(step.kind === 'code' || step.kind === 'enrol') && (
            <label>
              {step.kind === 'code' ? 'Authenticator code or recovery code' : 'Code from your authenticator app'}
              <input inputMode={step.kind === 'enrol' ? 'numeric' : 'text'} autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} autoFocus />
            </label>
          )}
          <button type="submit" disabled={busy}>
            {step.kind === 'enrol' ? 'Enable second factor' : 'Sign in'}
          </button>
        </form>
      )}
    </main>
  );
}
