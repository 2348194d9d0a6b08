import type { ReactElement } from 'react';
import { Account } from './views/account.js';
import { CheckIn } from './views/check-in/check-in.js';
import { Dashboard } from './views/dashboard/dashboard.js';
import { PatientTimeline } from './views/dashboard/patient-timeline.js';
import { ProtocolList } from './views/protocols/protocol-list.js';
import { ProtocolPage } from './views/protocols/protocol-page.js';

/** One page of the app: a path pattern (`:name` matches one segment) and what it renders. */
export interface AppRoute {
  readonly pattern: string;
  readonly title: string;
  render(params: Readonly<Record<string, string>>): ReactElement;
}

/** Every page of the app, first match wins. */
export const ROUTES: readonly AppRoute[] = [
  { pattern: '/account', title: 'Account', render: () => <Account /> },
  { pattern: '/dashboard', title: 'Dashboard', render: () => <Dashboard /> },
  { pattern: '/patients/:id', title: 'Patient timeline', render: (params) => <PatientTimeline key={params['id']} patientId={params['id'] ?? ''} /> },
  { pattern: '/check-in', title: 'Check in', render: () => <CheckIn /> },
  { pattern: '/protocols', title: 'Protocols', render: () => <ProtocolList /> },
  { pattern: '/protocols/:id', title: 'Protocol', render: ({ id = '' }) => <ProtocolPage key={id} id={id} /> },
];

/** The route a path shows and its parameters, or null when none matches. */
export function matchRoute(path: string, routes: readonly AppRoute[] = ROUTES): { route: AppRoute; params: Record<string, string> } | null {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    const parts = route.pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = parts.every((part, index) => {
      const segment = segments[index] ?? '';
      if (part.startsWith(':')) {
        params[part.slice(1)] = decodeURIComponent(segment);
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, params };
  }
  return null;
}
