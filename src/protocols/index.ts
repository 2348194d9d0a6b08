/**
 * The care-protocol engine (pure): the API the alerting service calls. See `protocol.ts` for the
 * shapes and `docs/protocols.md` ("Condition language") for the condition language.
 *
 * @module
 */
export * from './protocol.js';
export { escalationSteps, escalationOffsetsMinutes } from './escalation.js';
export { decideOnMatch } from './deduplication.js';
export { validateDefinition, DEFINITION_LIMITS } from './definition-check.js';
export { evaluateProtocol, InvalidDefinitionError, ProtocolEngine, triggerApplies } from './engine.js';
export { BUILT_IN_PROTOCOLS, builtInProtocol, checkTightening } from './built-in/index.js';
export { backtest, type BacktestPatient } from './backtest.js';
export { withoutSuperseded, type KeyedResult } from './supersession.js';
export { CONDITION_LIMITS } from './condition-cost.js';
export { ConditionCompiler } from './condition-compiler.js';
