import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';
import { useSession } from '../../api/session-context.js';
import { graphql } from '../../graphql/gql.js';
import type { CoordinatorPatientsQuery, ProtocolDetailQuery, ProtocolDryRunQuery } from '../../graphql/graphql.js';
import { Link } from '../../router.js';
import { FormStatus, useServerForm } from '../check-in/server-form.js';
import { ConditionEditor, placedError } from './condition-editor.js';
import { draftInput } from './protocol-input.js';
import './protocols.css';

const ProtocolDetailDocument = graphql(`
  query ProtocolDetail($id: ID!) {
    protocol(id: $id) {
      id
      name
      builtIn
      enabled
      activeVersion { number }
      versions {
        id
        number
        status
        name
        description
        trigger
        appliesWhen
        condition
        severity
        actions
        escalation
        onIncompleteData
        guideline
        changeNote
        createdAt
      }
    }
  }
`);

const CoordinatorPatientsDocument = graphql(`
  query CoordinatorPatients {
    patients(first: 100) { edges { node { id givenName familyName } } }
  }
`);

const UpdateConditionDocument = graphql(`
  mutation UpdateProtocolCondition($id: ID!, $input: UpdateProtocolInput!) {
    updateProtocol(id: $id, input: $input) { id versions { number status } }
  }
`);

const ActivateVersionDocument = graphql(`
  mutation ActivateProtocolVersion($id: ID!, $version: Int!) {
    activateProtocolVersion(id: $id, version: $version) { id activeVersion { number } }
  }
`);

const SetEnabledDocument = graphql(`
  mutation SetProtocolEnabled($id: ID!, $enabled: Boolean!) {
    setProtocolEnabled(id: $id, enabled: $enabled) { id enabled }
  }
`);

const DryRunDocument = graphql(`
  query ProtocolDryRun($patientId: ID!, $input: ProtocolInput!) {
    simulateProtocol(patientId: $patientId, input: $input) {
      at
      outcome
      trace { expression value }
      missingFacts
      actions
      severity
      incompleteData
    }
  }
`);

type Protocol = ProtocolDetailQuery['protocol'];
type Version = Protocol['versions'][number];
type Simulation = ProtocolDryRunQuery['simulateProtocol'];
type PatientChoice = CoordinatorPatientsQuery['patients']['edges'][number]['node'];

const OUTCOME_LABELS: Readonly<Record<string, string>> = {
  MATCHED: 'Matched: the actions below would fire',
  NOT_MATCHED: 'Not matched: nothing would happen',
  INCOMPLETE: 'Incomplete: a fact the condition needs is missing',
  NOT_APPLICABLE: 'Not applicable: the protocol does not concern this update',
};

/**
 * One care protocol for a coordinator: its state (enable or disable it), its condition to edit
 * (saving writes a new version; a CEL error shows at its line and column), a dry run against a
 * chosen patient with the per-clause trace, and its versions, any of which can be made active.
 */
export function ProtocolPage({ id }: { id: string }) {
  const session = useSession();
  const [protocol, setProtocol] = useState<Protocol | null>(null);
  const [patients, setPatients] = useState<readonly PatientChoice[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [condition, setCondition] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const result = await session.request(ProtocolDetailDocument, { id });
      setProtocol(result.protocol);
      return result.protocol;
    } catch (caught) {
      setProblem(caught instanceof GraphQLRequestError ? caught.message : 'The protocol could not be loaded.');
      return null;
    }
  }, [session, id]);

  useEffect(() => {
    void load().then((loaded) => {
      const shown = loaded?.versions.find((v) => v.status === 'ACTIVE') ?? loaded?.versions[0];
      if (shown) setCondition(shown.condition);
    });
    session.request(CoordinatorPatientsDocument, {}).then(
      (result) => setPatients(result.patients.edges.map((edge) => edge.node)),
      () => setPatients([]),
    );
  }, [load, session]);

  if (problem) {
    return (
      <section aria-labelledby="protocol-heading">
        <h1 id="protocol-heading">Protocol</h1>
        <p className="error" role="alert">
          {problem}
        </p>
        <p>
          <Link to="/protocols">All protocols</Link>
        </p>
      </section>
    );
  }
  if (!protocol || condition === null) return <p role="status">Loading…</p>;
  const base = protocol.versions.find((v) => v.status === 'ACTIVE') ?? protocol.versions[0];
  return (
    <section className="protocol-page" aria-labelledby="protocol-heading">
      <p className="breadcrumb">
        <Link to="/protocols">All protocols</Link>
      </p>
      <h1 id="protocol-heading">{protocol.name}</h1>
      <StateCard protocol={protocol} onChanged={load} />
      {base && (
        <>
          <ConditionCard protocol={protocol} condition={condition} onConditionChange={setCondition} onSaved={load} />
          <DryRunCard base={base} condition={condition} patients={patients} />
        </>
      )}
      <VersionsCard protocol={protocol} onChanged={load} />
    </section>
  );
}

function StateCard({ protocol, onChanged }: { protocol: Protocol; onChanged: () => Promise<unknown> }) {
  const session = useSession();
  const form = useServerForm();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      const { setProtocolEnabled } = await session.request(SetEnabledDocument, { id: protocol.id, enabled: !protocol.enabled });
      await onChanged();
      return setProtocolEnabled.enabled ? 'The protocol is enabled.' : 'The protocol is disabled.';
    });
  };
  return (
    <form className="card" aria-labelledby="state-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="state-heading">State</h2>
      <dl className="facts">
        <dt>State</dt>
        <dd data-testid="protocol-state">{protocol.enabled ? 'Enabled' : 'Disabled'}</dd>
        <dt>Active version</dt>
        <dd data-testid="active-version">{protocol.activeVersion ? `Version ${protocol.activeVersion.number}` : 'None'}</dd>
        <dt>Kind</dt>
        <dd>{protocol.builtIn ? 'Built-in (can be tightened, not disabled)' : 'Custom'}</dd>
      </dl>
      <button type="submit" className="secondary" disabled={form.busy}>
        {protocol.enabled ? 'Disable protocol' : 'Enable protocol'}
      </button>
      <FormStatus form={form} fields={[]} />
    </form>
  );
}

function ConditionCard(props: { protocol: Protocol; condition: string; onConditionChange: (value: string) => void; onSaved: () => Promise<unknown> }) {
  const session = useSession();
  const form = useServerForm();
  const [changeNote, setChangeNote] = useState('');
  const [activate, setActivate] = useState(true);
  const error = form.outcome.kind === 'refused' ? form.outcome.error : null;
  const placed = placedError(error, 'input.condition');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void form.submit(async () => {
      const { updateProtocol } = await session.request(UpdateConditionDocument, {
        id: props.protocol.id,
        input: { condition: props.condition, changeNote, activate },
      });
      await props.onSaved();
      const latest = updateProtocol.versions[0];
      setChangeNote('');
      return latest ? `Saved as version ${latest.number} (${latest.status.toLowerCase()}).` : 'Saved.';
    });
  };
  return (
    <form className="card" aria-labelledby="condition-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="condition-heading">Condition</h2>
      <ConditionEditor
        label="Trigger condition (CEL)"
        hint="Saving writes a new version; the server checks the expression first."
        value={props.condition}
        onChange={props.onConditionChange}
        error={placed}
        otherError={placed ? null : form.fieldError('input.condition')}
      />
      <div className="field">
        <label htmlFor="change-note">Why this change</label>
        <input
          id="change-note"
          value={changeNote}
          onChange={(event) => setChangeNote(event.target.value)}
          aria-invalid={form.fieldError('input.changeNote') ? true : undefined}
          aria-describedby={form.fieldError('input.changeNote') ? 'change-note-error' : undefined}
        />
        {form.fieldError('input.changeNote') && (
          <p className="field-error" id="change-note-error">
            {form.fieldError('input.changeNote')}
          </p>
        )}
      </div>
      <label className="inline-check">
        <input type="checkbox" checked={activate} onChange={(event) => setActivate(event.target.checked)} /> Make the new version active at once
      </label>
      <button type="submit" disabled={form.busy}>
        Save new version
      </button>
      <FormStatus form={form} fields={['input.condition', 'input.changeNote']} />
    </form>
  );
}

function DryRunCard({ base, condition, patients }: { base: Version; condition: string; patients: readonly PatientChoice[] }) {
  const session = useSession();
  const form = useServerForm();
  const [patientId, setPatientId] = useState('');
  const [result, setResult] = useState<Simulation | null>(null);
  const error = form.outcome.kind === 'refused' ? form.outcome.error : null;
  const placed = placedError(error, 'input.condition');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    void form.submit(async () => {
      const { simulateProtocol } = await session.request(DryRunDocument, { patientId, input: draftInput(base, condition) });
      setResult(simulateProtocol);
      return `Dry run done: ${simulateProtocol.outcome}. Nothing was changed.`;
    });
  };
  return (
    <form className="card" aria-labelledby="dry-run-heading" noValidate onSubmit={onSubmit} ref={form.formRef}>
      <h2 id="dry-run-heading">Dry run</h2>
      <p className="hint">Runs the condition above, as edited, against one patient's history. Changes nothing.</p>
      <div className="field">
        <label htmlFor="dry-run-patient">Patient</label>
        <select
          id="dry-run-patient"
          value={patientId}
          onChange={(event) => setPatientId(event.target.value)}
          aria-invalid={form.fieldError('patientId') ? true : undefined}
          aria-describedby={form.fieldError('patientId') ? 'dry-run-patient-error' : undefined}
        >
          <option value="">Choose a patient</option>
          {patients.map((patient) => (
            <option key={patient.id} value={patient.id}>
              {patient.givenName} {patient.familyName}
            </option>
          ))}
        </select>
        {form.fieldError('patientId') && (
          <p className="field-error" id="dry-run-patient-error">
            {form.fieldError('patientId')}
          </p>
        )}
      </div>
      {placed && (
        <p className="error" role="alert">
          The condition has an error at line {placed.line}, column {placed.column}: {placed.message}
        </p>
      )}
      <button type="submit" disabled={form.busy}>
        Dry run
      </button>
      <FormStatus form={form} fields={placed ? ['patientId', 'input.condition'] : ['patientId']} />
      {result && (
        <div className="simulation" data-testid="simulation">
          <p className={`outcome outcome-${result.outcome}`}>
            <strong data-testid="simulation-outcome">{result.outcome}</strong> — {OUTCOME_LABELS[result.outcome] ?? ''} ({result.severity.toLowerCase()})
          </p>
          <h3>Trace</h3>
          <ol className="trace" data-testid="trace">
            {result.trace.map((step, index) => (
              <li key={index}>
                <code className="trace-expression">{step.expression}</code>
                <span aria-hidden="true"> → </span>
                <span className="visually-hidden"> gives </span>
                <code className="trace-value">{step.value}</code>
              </li>
            ))}
          </ol>
          {result.missingFacts.length > 0 && (
            <p>
              Missing facts: <code>{result.missingFacts.join(', ')}</code>
            </p>
          )}
          {result.outcome === 'MATCHED' && Array.isArray(result.actions) && (
            <>
              <h3>Actions that would fire</h3>
              <ul>
                {(result.actions as Array<Record<string, unknown>>).map((action, index) => (
                  <li key={index}>{describeAction(action)}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </form>
  );
}

/** An action as a coordinator reads it ("Raise an alert to MIDWIFE, CARE_COORDINATOR"). */
function describeAction(action: Record<string, unknown>): string {
  const type = String(action['type']);
  if (type === 'RAISE_ALERT') return `Raise an alert to ${(action['routeTo'] as string[] | undefined)?.join(', ') ?? 'the care team'}`;
  if (type === 'CREATE_TASK') return `Create a task "${String(action['title'])}" for ${String(action['assignTo'])}, due in ${String(action['dueInMinutes'])} minutes`;
  if (type === 'SEND_SAFETY_MESSAGE') return `Send the patient the ${String(action['template'])} safety message`;
  return type;
}

function VersionsCard({ protocol, onChanged }: { protocol: Protocol; onChanged: () => Promise<unknown> }) {
  const session = useSession();
  const form = useServerForm();
  const activate = (version: number) =>
    void form.submit(async () => {
      const { activateProtocolVersion } = await session.request(ActivateVersionDocument, { id: protocol.id, version });
      await onChanged();
      return `Version ${activateProtocolVersion.activeVersion?.number ?? version} is now active.`;
    });
  return (
    <form className="card" aria-labelledby="versions-heading" noValidate onSubmit={(event) => event.preventDefault()} ref={form.formRef}>
      <h2 id="versions-heading">Versions</h2>
      <ol className="versions" reversed>
        {protocol.versions.map((version) => (
          <li key={version.id} className={`version version-${version.status}`} data-testid={`version-${version.number}`}>
            <p className="version-head">
              <strong>Version {version.number}</strong> <span className={`badge badge-${version.status}`}>{version.status.toLowerCase()}</span>{' '}
              <time dateTime={version.createdAt}>{new Date(version.createdAt).toLocaleString()}</time>
            </p>
            <code className="version-condition">{version.condition}</code>
            {version.changeNote && <p className="hint">{version.changeNote}</p>}
            {version.status !== 'ACTIVE' && (
              <button type="button" className="secondary" disabled={form.busy} onClick={() => activate(version.number)}>
                Activate version {version.number}
              </button>
            )}
          </li>
        ))}
      </ol>
      <FormStatus form={form} fields={[]} />
    </form>
  );
}
