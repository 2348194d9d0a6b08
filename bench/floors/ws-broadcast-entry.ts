/**
 * Floor: a raw `ws` server that broadcasts one pre-serialised message to every connected socket
 * when the driver says `{ type: 'broadcast', id }` over IPC. No GraphQL, no authorisation, no
 * database: the least a WebSocket fan-out can cost on this machine.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { installProbe } from '../lib/probe.js';

let wss: WebSocketServer | null = null;
const probe = installProbe(() => wss?.clients.size ?? 0);
const padding = 'x'.repeat(Number(process.env['BENCH_PAYLOAD_PADDING'] ?? 200));
const httpServer = createServer();
wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false });
process.on('message', (message: { type?: string; id?: number }) => {
  if (message?.type !== 'broadcast') return;
  const data = Buffer.from(`{"type":"next","payload":{"note":"b${message.id}|${padding}"}}`);
  for (const client of wss!.clients) client.send(data);
});
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
probe.ready((httpServer.address() as AddressInfo).port);
process.on('SIGTERM', () => {
  for (const client of wss!.clients) client.terminate();
  httpServer.close(() => process.exit(0));
});
