import type { ASTNode } from '@marcbachmann/cel-js';
import { STATUS_KIND_CATEGORY, type DataCategory } from '../auth/data-category.js';
import { CONDITION_FUNCTIONS } from './cel-environment.js';
import type { CompiledCondition, ConditionCompiler } from './condition-compiler.js';
import { childrenOf } from './condition-cost.js';
import { FACT_CATEGORIES } from './condition-facts.js';
import { defaultCompiler } from './default-compiler.js';
import { parseSeries } from './history-window.js';
import type { EvaluationInput, ProtocolDefinition } from './protocol.js';

/**
 * Which categories of a patient's record a protocol reads, found statically on its compiled
 * expressions: what it raises (an alert, a task) tells whoever sees it something about each of
 * them (a threshold stepped over `latest("SCREENING:EPDS", "total")` recovers the score), so it is
 * shown only to callers whose grant covers them all (`src/auth/record-visibility.ts`).
 *
 * @module
 */

/** Every clinical category a status update can carry: what a series of every kind, or an unknown one, reads. */
export const CLINICAL_CATEGORIES: readonly DataCategory[] = Object.freeze([...new Set(Object.values(STATUS_KIND_CATEGORY))].sort());

const WINDOW_FUNCTIONS: ReadonlySet<string> = new Set(CONDITION_FUNCTIONS.filter((f) => f.readsHistory).map((f) => f.name));

/** The categories a series name reads: its kind's, every kind's for `ANY`, and every clinical one for a name that is no series. */
export function seriesCategories(name: string): readonly DataCategory[] {
  const series = parseSeries(name);
  if (!series || series.kind === null) return CLINICAL_CATEGORIES;
  return [STATUS_KIND_CATEGORY[series.kind]];
}

/** Adds the categories of the series every window call of `node` reads; a series computed at run time could be any. */
function addWindowCategories(node: ASTNode, into: Set<DataCategory>): void {
  if (node.op === 'call' && WINDOW_FUNCTIONS.has(node.args[0])) {
    const [series] = node.args[1] as ASTNode[];
    const name = series?.op === 'value' && typeof series.args === 'string' ? series.args : null;
    for (const category of name === null ? CLINICAL_CATEGORIES : seriesCategories(name)) into.add(category);
  }
  for (const child of childrenOf(node)) addWindowCategories(child, into);
}

/** The categories one compiled expression reads: those of its variables (see `FACT_CATEGORIES`) and of its window calls' series. */
export function categoriesOfCondition(condition: CompiledCondition): Set<DataCategory> {
  const categories = new Set<DataCategory>();
  for (const variable of condition.variables) {
    const category = FACT_CATEGORIES[variable as keyof typeof FACT_CATEGORIES];
    if (category) categories.add(category);
  }
  addWindowCategories(condition.evaluate.ast, categories);
  return categories;
}

/**
 * The categories a protocol definition reads whatever update triggers it: its condition's and its
 * `appliesWhen`'s (an alert also tells that the guard held), plus CARE_TEAM for a scheduled rule
 * (it runs over the care team's patient list; its alerts needed CARE_TEAM before and still do). An
 * expression that does not compile is taken to read every clinical category. Sorted, no duplicates.
 * The triggering update's own category is added per evaluation (`categoriesOfMatch`).
 */
export function categoriesReadBy(
  definition: Pick<ProtocolDefinition, 'condition' | 'appliesWhen' | 'trigger'>,
  compiler: ConditionCompiler = defaultCompiler(),
): DataCategory[] {
  const categories = new Set<DataCategory>(definition.trigger?.type === 'SCHEDULED' ? ['CARE_TEAM'] : []);
  for (const text of [definition.condition, definition.appliesWhen]) {
    if (text === null || text === undefined) continue;
    const compiled = compiler.compile(text);
    for (const category of compiled.ok ? categoriesOfCondition(compiled.condition) : CLINICAL_CATEGORIES) categories.add(category);
  }
  return [...categories].sort();
}

/**
 * The categories one evaluation's outcome tells about: what its definition reads
 * ({@link categoriesReadBy}), the triggering update's category, and the category of every record
 * it used as evidence (`evidenceIds`, found in the input). Sorted, no duplicates.
 */
export function categoriesOfMatch(readByDefinition: readonly DataCategory[], input: EvaluationInput, evidenceIds: readonly string[]): DataCategory[] {
  const categories = new Set<DataCategory>(readByDefinition);
  if (input.update) categories.add(STATUS_KIND_CATEGORY[input.update.kind]);
  if (evidenceIds.length > 0) {
    const wanted = new Set(evidenceIds);
    for (const record of [...(input.update ? [input.update] : []), ...input.history]) {
      if (wanted.has(record.id) && record.kind in STATUS_KIND_CATEGORY) categories.add(STATUS_KIND_CATEGORY[record.kind]);
    }
  }
  return [...categories].sort();
}
