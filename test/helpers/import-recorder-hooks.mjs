/** Module hooks of import-recorder.mjs: each resolved URL is appended to the log file. */
import { appendFileSync } from 'node:fs';

let log;

/** Receives the log file's path from `register`. */
export function initialize(data) {
  log = data?.log;
}

/** Resolves as Node would, then records the URL. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
