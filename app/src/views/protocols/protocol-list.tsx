import { useEffect, useState } from 'react';
import { GraphQLRequestError } from '../../api/graphql-client.js';
import { useSession } from '../../api/session-context.js';
import { graphql } from '../../graphql/gql.js';
import type { ProtocolListQuery } from '../../graphql/graphql.js';
import { Link } from '../../router.js';
import { QuietHoursForm } from './quiet-hours-form.js';
import './protocols.css';

const ProtocolListDocument = graphql(`
  query ProtocolList {
    protocols {
      id
      name
      builtIn
      enabled
      activeVersion { number }
      versions { id number status }
    }
  }
`);

type ProtocolSummary = ProtocolListQuery['protocols'][number];

/** The coordinator's console: every protocol of the tenant with its versions and state, and the quiet hours. */
export function ProtocolList() {
  const session = useSession();
  const [protocols, setProtocols] = useState<readonly ProtocolSummary[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    session.request(ProtocolListDocument, {}).then(
      (result) => live && setProtocols(result.protocols),
      (caught: unknown) => live && setProblem(caught instanceof GraphQLRequestError ? caught.message : 'The protocols could not be loaded.'),
    );
    return () => {
      live = false;
    };
  }, [session]);

  return (
    <section className="protocol-list" aria-labelledby="protocols-heading">
      <h1 id="protocols-heading">Care protocols</h1>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {!protocols && !problem && <p role="status">Loading…</p>}
      {protocols && (
        <ul className="protocols" aria-label="Protocols">
          {protocols.map((protocol) => (
            <li key={protocol.id} className="card protocol-summary">
              <h2>
                <Link to={`/protocols/${protocol.id}`}>{protocol.name}</Link>
              </h2>
              <p className="protocol-meta">
                <span className={`badge ${protocol.enabled ? 'badge-ACTIVE' : 'badge-RETIRED'}`}>{protocol.enabled ? 'enabled' : 'disabled'}</span>{' '}
                {protocol.builtIn ? 'Built-in' : 'Custom'} · {protocol.activeVersion ? `version ${protocol.activeVersion.number} active` : 'no active version'}
              </p>
              <p className="protocol-versions">
                Versions:{' '}
                {protocol.versions.map((version, index) => (
                  <span key={version.id}>
                    {index > 0 && ', '}
                    {version.number} ({version.status.toLowerCase()})
                  </span>
                ))}
              </p>
            </li>
          ))}
        </ul>
      )}
      <QuietHoursForm />
    </section>
  );
}
