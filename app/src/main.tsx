import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Session } from './api/session.js';
import { SessionProvider } from './api/session-context.js';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('The page has no #root element.');
createRoot(root).render(
  <StrictMode>
    <SessionProvider session={new Session()}>
      <App />
    </SessionProvider>
  </StrictMode>,
);
