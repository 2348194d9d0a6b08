/**
 * Bench entry for Cradle (system A): starts `createServer(loadConfig(process.env))` exactly as
 * `npm start` does, in its own process so the driver can read its CPU (`/proc/<pid>/stat`), RSS and
 * heap, and reports its port over IPC. Started by the driver, never by hand.
 */
import 'reflect-metadata';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createServer } from '../../src/server.js';
import { installProbe } from '../lib/probe.js';

let server: Awaited<ReturnType<typeof createServer>> | null = null;
const probe = installProbe(() => server?.services.feed.subscriptionCount ?? 0);
// Log lines are discarded (as a log shipper would take them off the box); the server still formats them.
const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
server = await createServer(loadConfig(process.env), { logDestination: discard });
probe.ready(server.port);
process.on('SIGTERM', () => {
  server!.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
