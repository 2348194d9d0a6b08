/**
 * The GraphQL schema every baseline serves (B1, B2, B3): the same shape as Cradle's `logMood` and
 * `patientUpdates`, only what the bench uses, so every system answers the same documents.
 */
export const BASELINE_SDL = /* GraphQL */ `
  scalar JSONObject
  enum StatusKind { MOOD FEEDING SLEEP VITALS INFANT_VITALS SYMPTOMS SCREENING }
  type StatusUpdate { id: ID! kind: StatusKind! recordedAt: String! recordedBy: ID! infantId: ID data: JSONObject! cursor: String! }
  type StatusUpdateEvent { cursor: String! update: StatusUpdate! }
  input LogMoodInput { patientId: ID! score: Int! note: String recordedAt: String }
  type Query { health: Boolean }
  type Mutation { logMood(input: LogMoodInput!): StatusUpdate! }
  type Subscription { patientUpdates(patientIds: [ID!], kinds: [StatusKind!], since: String): StatusUpdateEvent! }
`;
