import { graphql } from '../../graphql/gql.js';
import type { CheckInSafetyMessagesQuery } from '../../graphql/graphql.js';

/** The safety messages care protocols sent her, newest first (crisis line, urgent care advice, a call back). */
export const SafetyMessagesDocument = graphql(`
  query CheckInSafetyMessages {
    mySafetyMessages { id template text sentAt }
  }
`);

/** How many of the newest messages the check-in page shows. */
const SHOWN = 3;

/** The newest safety messages her care protocols sent, in the server's words; nothing when there are none. */
export function SafetyMessages({ messages }: { messages: CheckInSafetyMessagesQuery['mySafetyMessages'] }) {
  if (messages.length === 0) return null;
  return (
    <section className="card safety-messages" aria-labelledby="safety-messages-heading">
      <h2 id="safety-messages-heading">Messages from your care team</h2>
      <ul>
        {messages.slice(0, SHOWN).map((message) => (
          <li key={message.id} className={`safety-message safety-message-${message.template}`}>
            <p>{message.text}</p>
            <p className="hint">
              Sent <time dateTime={message.sentAt}>{new Date(message.sentAt).toLocaleString()}</time>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
