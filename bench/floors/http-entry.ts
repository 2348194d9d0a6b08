/**
 * Floor: a bare Node HTTP handler that reads the request body and answers a small JSON document,
 * to be loaded with `autocannon`. The most requests per second an HTTP mutation endpoint can
 * answer on this machine before doing any work.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { installProbe } from '../lib/probe.js';

const probe = installProbe();
const answer = Buffer.from('{"data":{"logMood":{"id":"00000000-0000-4000-8000-000000000000","cursor":"1"}}}');
const httpServer = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
});
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
probe.ready((httpServer.address() as AddressInfo).port);
process.on('SIGTERM', () => httpServer.close(() => process.exit(0)));
