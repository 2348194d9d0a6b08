import { spawn } from 'node:child_process';

/** How a checkpoint hook ended: its exit code, or the signal that stopped it (a timeout is SIGKILL). */
export interface HookOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
}

/**
 * Runs the checkpoint hook (`CRADLE_AUDIT_CHECKPOINT_HOOK`) through `/bin/sh -c`, with the signed
 * checkpoint lines on its standard input, and resolves when it ends (killed after `timeoutMs`
 * milliseconds). The lines hold tenant ids, sequence numbers, hashes and times: no PHI. The hook's
 * own output is discarded; try a hook with `cradle audit:checkpoint --out - | <hook>`.
 */
export function runCheckpointHook(command: string, lines: string, timeoutMs: number): Promise<HookOutcome> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'ignore', 'ignore'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve({ exitCode: null, signal: null, timedOut });
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, timedOut });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(lines, 'utf8');
  });
}
