import { builtInProtocol } from './built-in/index.js';
import type { EvaluationResult } from './protocol.js';

/** One protocol's result for an update, with the built-in key of the protocol (null for a custom one). */
export interface KeyedResult {
  readonly builtInKey: string | null;
  readonly result: EvaluationResult;
}

/**
 * Drops the results that a more specific built-in makes redundant for the same update, when a
 * built-in that `supersedes` another (severe blood pressure supersedes hypertension) acted on it:
 * - it MATCHED: the superseded one raises nothing for that update, so one reading of 170/100 pages
 *   the critical chain once instead of also opening a same-day warning for the same pressure;
 * - it was INCOMPLETE: a superseded result that is INCOMPLETE too is dropped (one incomplete-data
 *   alert asks for the missing reading, at the higher severity), but a superseded MATCH stays (150
 *   with no diastolic is hypertension whatever the missing value turns out to be).
 * A CRITICAL result is never dropped (CLINICAL.md: critical alerts are never suppressed), nor a
 * custom protocol's. Pure; order is kept.
 */
export function withoutSuperseded<T extends KeyedResult>(results: readonly T[]): T[] {
  const byMatch = new Set<string>();
  const byIncomplete = new Set<string>();
  for (const { builtInKey, result } of results) {
    if (builtInKey === null) continue;
    const into = result.outcome === 'MATCHED' ? byMatch : result.outcome === 'INCOMPLETE' ? byIncomplete : null;
    for (const key of into ? (builtInProtocol(builtInKey)?.supersedes ?? []) : []) into!.add(key);
  }
  if (byMatch.size === 0 && byIncomplete.size === 0) return [...results];
  return results.filter(({ builtInKey, result }) => {
    if (builtInKey === null || result.severity === 'CRITICAL') return true;
    if (byMatch.has(builtInKey)) return false;
    return !(byIncomplete.has(builtInKey) && result.outcome === 'INCOMPLETE');
  });
}
