import { ConditionCompiler } from './condition-compiler.js';

/**
 * The compiler behind the engine API functions (`validateDefinition`, `evaluateProtocol`), whose
 * signatures take no engine. It is the only state of `src/protocols` and is safe to share between
 * servers in one process: compiling is a pure function of the expression text, so the cache only
 * saves time (bounded at {@link DEFAULT_COMPILE_CACHE_SIZE} expressions). Created on first use, so
 * importing the engine does nothing.
 *
 * @module
 */

/** Expressions the shared compiler keeps compiled: every built-in plus generous room for custom triggers. */
export const DEFAULT_COMPILE_CACHE_SIZE = 2000;

let shared: ConditionCompiler | null = null;

/** The shared compiler (see the module comment). */
export function defaultCompiler(): ConditionCompiler {
  shared ??= new ConditionCompiler(DEFAULT_COMPILE_CACHE_SIZE);
  return shared;
}
