/**
 * The platform tables exactly as platform.md section 3 lists them, plus the `id` primary key
 * every Django table has: the columns a real instance is known to have. The sandbox's schema
 * must hold these and no more (sandbox bookkeeping lives in `sandbox_*` tables), and every
 * scancopy query must run on a database made of these alone.
 */

const BIGINT = 'bigint';
const TEXT = 'character varying';
const JSONB = 'jsonb';
const NUMERIC = 'numeric';
const DATE = 'date';
const ID = { id: BIGINT };

export const CONTRACT_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  realograms_implementation_scan: {
    ...ID, provided_values: JSONB, store_id: BIGINT, created_at: 'timestamp with time zone',
    selected_category_id: BIGINT, active_realogram_id: BIGINT, status: TEXT, has_report: 'boolean',
  },
  realograms_implementation_scanfile: { ...ID, scan_id: BIGINT, file_id: BIGINT, file_type: TEXT },
  master_data_implementation_store: { ...ID, name: TEXT },
  master_data_implementation_category: { ...ID, name: TEXT },
  realograms_implementation_realogram: { ...ID },
  realograms_implementation_realogrambay: { ...ID, realogram_id: BIGINT },
  planograms_implementation_planogram: { ...ID, name: TEXT, category_id: BIGINT },
  planograms_implementation_planogramstore: { ...ID, planogram_id: BIGINT, store_id: BIGINT },
  planograms_implementation_planogramsection: { ...ID, planogram_id: BIGINT, name: TEXT },
  planograms_implementation_planogramsectionproduct: { ...ID, section_id: BIGINT, action: TEXT, merch_method: TEXT },
  planograms_compliance_planogramcompliancereport: {
    ...ID, realogram_id: BIGINT, section_id: BIGINT, section_name: TEXT, store_planogram_id: BIGINT,
    planogram_id: BIGINT, aisle_name: TEXT, compliance_rate: NUMERIC, facing_compliance_rate: NUMERIC,
    sequence_compliance_rate: NUMERIC, initial_pre_compliance: NUMERIC, compliance_rates: JSONB, scan_created_date: DATE,
  },
  planograms_compliance_storeplanogramcompliance: {
    ...ID, store_planogram_id: BIGINT, date: DATE, pre_compliance: NUMERIC, post_compliance: NUMERIC, pre_osa: NUMERIC,
    post_osa: NUMERIC, facing_compliance: NUMERIC, sequence_pre_compliance: NUMERIC, sequence_post_compliance: NUMERIC,
    initial_pre_compliance: NUMERIC,
  },
  planograms_compliance_majorityv2log: { ...ID, store_planogram_id: BIGINT, scan_created_date: DATE, data: JSONB },
};

/** CREATE TABLE statements for the contract's tables alone: no foreign keys, no defaults, no extra column. */
export function contractSchemaSql(): string {
  return Object.entries(CONTRACT_COLUMNS)
    .map(([table, columns]) => {
      const defs = Object.entries(columns).map(([name, type]) => `  ${name} ${type}${name === 'id' ? ' PRIMARY KEY' : ''}`);
      return `CREATE TABLE ${table} (\n${defs.join(',\n')}\n);`;
    })
    .join('\n');
}
