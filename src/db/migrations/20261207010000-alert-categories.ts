import { Migration } from '@mikro-orm/migrations';
import { categoriesReadBy, CLINICAL_CATEGORIES } from '../../protocols/condition-reads.js';
import type { ProtocolDefinition } from '../../protocols/protocol.js';

/** SQL of the category of a `status_update.kind` (as `STATUS_KIND_CATEGORY`), for `column`. */
const KIND_CATEGORY_SQL = (column: string): string => `case ${column}
  when 'MOOD' then 'MENTAL_HEALTH' when 'SCREENING' then 'MENTAL_HEALTH' when 'FEEDING' then 'FEEDING'
  when 'SLEEP' then 'MATERNAL' when 'VITALS' then 'MATERNAL' when 'SYMPTOMS' then 'MATERNAL' when 'INFANT_VITALS' then 'INFANT' end`;

/** A text[] literal of category names (each from the fixed category list, so safe to inline). */
const arrayLiteral = (categories: readonly string[]): string => `array[${categories.map((c) => `'${c.replace(/'/g, "''")}'`).join(', ')}]::text[]`;

/**
 * Alerts and follow-up tasks carry every data category their condition reads (`categories`,
 * replacing the one `category` of the triggering update), so only a clinician whose grant covers
 * them all sees them. Existing rows are filled conservatively: their old category, the categories
 * read by every version of their protocol (found on the compiled conditions, as at run time; a
 * condition that does not compile counts as reading every clinical category), and the categories
 * of their evidence; a task with an alert also takes its alert's. Rows of a protocol that no longer
 * exists take every clinical category.
 */
export class Migration20261207010000AlertCategories extends Migration {
  override async up(): Promise<void> {
    const versions = (await this.execute('select "protocol_id"::text as "protocol_id", "definition" from "protocol_version"')) as Array<{ protocol_id: string; definition: unknown }>;
    const byProtocol = new Map<string, Set<string>>();
    for (const row of versions) {
      const definition = (typeof row.definition === 'string' ? JSON.parse(row.definition) : row.definition) as ProtocolDefinition;
      let set = byProtocol.get(row.protocol_id);
      if (!set) byProtocol.set(row.protocol_id, (set = new Set()));
      for (const category of categoriesReadBy(definition)) set.add(category);
    }
    this.addSql(`alter table "alert" add column "categories" text[] null;`);
    this.addSql(`alter table "follow_up_task" add column "categories" text[] null;`);
    const rows = [...byProtocol]
      .filter(([protocolId]) => /^[0-9a-f-]{36}$/i.test(protocolId))
      .map(([protocolId, categories]) => `('${protocolId}'::uuid, ${arrayLiteral([...categories])})`);
    const reads = rows.length > 0 ? `(values ${rows.join(', ')})` : '(select null::uuid, null::text[] where false)';
    const readsOf = (column: string) => `(select r."categories" from ${reads} as r("protocol_id", "categories") where r."protocol_id" = ${column})`;
    const all = arrayLiteral(CLINICAL_CATEGORIES);
    this.addSql(`update "alert" a set "categories" = array(select distinct c from unnest(
        array[a."category"]
        || coalesce(${readsOf('a."protocol_id"')}, ${all})
        || coalesce((select array_agg(${KIND_CATEGORY_SQL('s."kind"')}) from "alert_evidence" e join "status_update" s on s."id" = e."status_update_id"
                     where e."alert_id" = a."id"), array[]::text[])) as c where c is not null order by c);`);
    this.addSql(`update "follow_up_task" t set "categories" = array(select distinct c from unnest(
        array[t."category"]
        || coalesce(${readsOf('t."protocol_id"')}, ${all})
        || coalesce((select a."categories" from "alert" a where a."id" = t."alert_id"), array[]::text[])) as c where c is not null order by c);`);
    for (const table of ['alert', 'follow_up_task']) {
      this.addSql(`alter table "${table}" alter column "categories" set not null,
        add constraint "${table}_categories_not_empty" check (cardinality("categories") > 0),
        drop column "category";`);
    }
  }

  override async down(): Promise<void> {
    for (const table of ['alert', 'follow_up_task']) {
      this.addSql(`alter table "${table}" add column "category" varchar(40) null;`);
      // One category cannot say several: the first is kept, which shows a row to more clinicians than `categories` did.
      this.addSql(`update "${table}" set "category" = "categories"[1];`);
      this.addSql(`alter table "${table}" alter column "category" set not null, drop constraint if exists "${table}_categories_not_empty", drop column "categories";`);
    }
  }
}
