import { graphql } from '../../graphql/gql.js';

/** The clinician's patients (only those the server returns: the caller's scope). */
export const MyPatientsDocument = graphql(`
  query DashboardPatients($after: String) {
    patients(first: 100, after: $after) {
      edges { node { id givenName familyName } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/**
 * A patient's newest update of each kind the dashboard summarises. The server leaves out kinds
 * the caller may not read (an empty list), so a summary shows exactly what it returns.
 */
export const LatestStatusDocument = graphql(`
  query DashboardLatestStatus($patientId: ID!) {
    mood: statusUpdates(patientId: $patientId, kinds: [MOOD], first: 1) { edges { node { id kind recordedAt data cursor } } }
    feeding: statusUpdates(patientId: $patientId, kinds: [FEEDING], first: 1) { edges { node { id kind recordedAt data cursor } } }
    sleep: statusUpdates(patientId: $patientId, kinds: [SLEEP], first: 1) { edges { node { id kind recordedAt data cursor } } }
    vitals: statusUpdates(patientId: $patientId, kinds: [VITALS], first: 1) { edges { node { id kind recordedAt data cursor } } }
    screening: statusUpdates(patientId: $patientId, kinds: [SCREENING], first: 1) { edges { node { id kind recordedAt data cursor } } }
  }
`);

/** Live status updates for the dashboard's feed, resumable with `since`. */
export const DashboardUpdatesDocument = graphql(`
  subscription DashboardUpdates($since: String, $patientIds: [ID!]) {
    patientUpdates(since: $since, patientIds: $patientIds) {
      cursor
      update { id kind recordedAt data cursor patient { id givenName familyName } }
    }
  }
`);

/** Unresolved alerts (open and acknowledged) the caller may see. */
export const OpenAlertsDocument = graphql(`
  query DashboardAlerts {
    open: alerts(first: 100, status: OPEN) { edges { node { ...DashboardAlert } } }
    acknowledged: alerts(first: 100, status: ACKNOWLEDGED) { edges { node { ...DashboardAlert } } }
  }
  fragment DashboardAlert on Alert {
    id severity status openedAt escalationTier escalationRound incompleteData acknowledgedAt resolvedAt
    protocol { id name }
    patient { id givenName familyName }
  }
`);

/** Alert changes meant for the caller, resumable with `since`. */
export const AlertEventsDocument = graphql(`
  subscription DashboardAlertEvents($since: String) {
    alerts(since: $since) {
      cursor
      action
      alert { ...DashboardAlert }
    }
  }
`);

/** Acknowledges an alert (its escalation chain stops). */
export const AcknowledgeAlertDocument = graphql(`
  mutation DashboardAcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id) { ...DashboardAlert }
  }
`);

/** Resolves an alert with the clinician's note. */
export const ResolveAlertDocument = graphql(`
  mutation DashboardResolveAlert($id: ID!, $note: String!) {
    resolveAlert(id: $id, note: $note) { ...DashboardAlert }
  }
`);

/** The patient a timeline is about. */
export const TimelinePatientDocument = graphql(`
  query TimelinePatient($id: ID!) {
    patient(id: $id) { id givenName familyName }
  }
`);

/** Days since delivery (maternal data: refused to roles without it, and then not shown). */
export const TimelinePostpartumDocument = graphql(`
  query TimelinePostpartum($id: ID!) {
    patient(id: $id) { id daysPostpartum }
  }
`);

/** What the timeline charts and lists; each kind the caller may not read comes back empty. */
export const TimelineDocument = graphql(`
  query PatientTimeline($id: ID!) {
    mood: statusUpdates(patientId: $id, kinds: [MOOD], first: 100) { edges { node { ...TimelineUpdate } } }
    screening: statusUpdates(patientId: $id, kinds: [SCREENING], first: 100) { edges { node { ...TimelineUpdate } } }
    feeding: statusUpdates(patientId: $id, kinds: [FEEDING], first: 100) { edges { node { ...TimelineUpdate } } }
    vitals: statusUpdates(patientId: $id, kinds: [VITALS], first: 100) { edges { node { ...TimelineUpdate } } }
    recent: statusUpdates(patientId: $id, first: 30) { edges { node { ...TimelineUpdate } } }
  }
  fragment TimelineUpdate on StatusUpdate {
    id kind recordedAt data cursor
  }
`);

/** The EPDS as the server publishes it: its bands give the cut-offs the chart draws. */
export const EpdsDefinitionDocument = graphql(`
  query TimelineEpdsDefinition {
    screeningInstrument(id: EPDS) { id name citation maxTotal bands { band minTotal maxTotal meaning } }
  }
`);
