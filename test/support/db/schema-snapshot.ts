import type { Orm } from '../../../src/db/orm.js';

/** A dialect-neutral picture of a migrated schema: what the divergence test compares. */
export interface SchemaSnapshot {
  [table: string]: {
    columns: Record<string, { type: string; nullable: boolean; default: string | null }>;
    /** Secondary indexes (primary keys left out): columns, uniqueness, whether partial. */
    indexes: Record<string, { columns: string[]; unique: boolean; partial: boolean }>;
  };
}

const IGNORED_TABLES = new Set(['mikro_orm_migrations']);

// Each dialect's spelling of a type, as the class the entities mean.
const TYPE_CLASS: Record<string, string> = {
  integer: 'integer',
  int: 'integer',
  text: 'text',
  'character varying': 'text',
  varchar: 'text',
  datetime: 'datetime',
  'timestamp with time zone': 'datetime',
  json: 'json',
  jsonb: 'json',
  jsontype: 'json',
  boolean: 'boolean',
};

function typeClass(raw: string): string {
  const t = raw.toLowerCase().replace(/\(.*\)$/, '').trim();
  return TYPE_CLASS[t] ?? `unknown:${t}`;
}

function normalizeDefault(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  const s = String(raw)
    .replace(/::[a-z ]+$/i, '')
    .replace(/^'(.*)'$/, '$1');
  return s;
}

export async function snapshotSchema(orm: Orm, dialect: 'sqlite' | 'postgresql'): Promise<SchemaSnapshot> {
  const conn = orm.em.getConnection();
  const out: SchemaSnapshot = {};
  if (dialect === 'sqlite') {
    const tables = (await conn.execute("select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%'")) as { name: string }[];
    for (const { name } of tables) {
      if (IGNORED_TABLES.has(name)) continue;
      const cols = (await conn.execute(`pragma table_info(\`${name}\`)`)) as { name: string; type: string; notnull: number; dflt_value: unknown; pk: number }[];
      const columns: SchemaSnapshot[string]['columns'] = {};
      for (const c of cols) columns[c.name] = { type: typeClass(c.type), nullable: !c.notnull && !c.pk, default: normalizeDefault(c.dflt_value) };
      const indexes: SchemaSnapshot[string]['indexes'] = {};
      const list = (await conn.execute(`pragma index_list(\`${name}\`)`)) as { name: string; unique: number; origin: string; partial: number }[];
      for (const idx of list) {
        if (idx.origin === 'pk') continue;
        const info = (await conn.execute(`pragma index_info(\`${idx.name}\`)`)) as { name: string }[];
        indexes[idx.name] = { columns: info.map((i) => i.name), unique: !!idx.unique, partial: !!idx.partial };
      }
      out[name] = { columns, indexes };
    }
    return out;
  }
  const tables = (await conn.execute("select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'")) as { name: string }[];
  for (const { name } of tables) {
    if (IGNORED_TABLES.has(name)) continue;
    const cols = (await conn.execute('select column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = ? and table_name = ?', ['public', name])) as {
      column_name: string;
      data_type: string;
      is_nullable: string;
      column_default: string | null;
    }[];
    const columns: SchemaSnapshot[string]['columns'] = {};
    // serial's nextval(…) is PostgreSQL's spelling of autoincrement: not a default the entities name.
    for (const c of cols) columns[c.column_name] = { type: typeClass(c.data_type), nullable: c.is_nullable === 'YES', default: c.column_default?.startsWith('nextval(') ? null : normalizeDefault(c.column_default) };
    const indexes: SchemaSnapshot[string]['indexes'] = {};
    const defs = (await conn.execute("select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = ?", [name])) as { indexname: string; indexdef: string }[];
    const primary = (await conn.execute("select conname from pg_constraint where contype = 'p' and conrelid = ?::regclass", [name])) as { conname: string }[];
    for (const d of defs) {
      if (primary.some((p) => p.conname === d.indexname)) continue;
      const cols = /\(([^)]*)\)/.exec(d.indexdef)![1]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
      indexes[d.indexname] = { columns: cols, unique: /^create unique index/i.test(d.indexdef), partial: / where /i.test(d.indexdef) };
    }
    out[name] = { columns, indexes };
  }
  return out;
}

/** What the entities say each table's columns are (type class and nullability). */
export function entityColumns(orm: Orm): Record<string, Record<string, { type: string; nullable: boolean }>> {
  const out: Record<string, Record<string, { type: string; nullable: boolean }>> = {};
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    if (meta.embeddable || meta.virtual || !meta.tableName) continue;
    const table = (out[meta.tableName] ??= {});
    for (const prop of Object.values(meta.properties)) {
      if (prop.persist === false || prop.kind === '1:m' || prop.kind === 'm:n') continue;
      const isRef = prop.kind === 'm:1' || prop.kind === '1:1';
      const raw = isRef ? 'integer' : String(prop.type).toLowerCase();
      const type = raw === 'string' ? 'text' : raw === 'number' ? 'integer' : raw;
      for (const field of prop.fieldNames ?? []) table[field] = { type: TYPE_CLASS[type] ?? type, nullable: !!prop.nullable && !prop.primary };
    }
  }
  return out;
}
