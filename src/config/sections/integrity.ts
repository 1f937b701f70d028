// Config section `integrity`: which schemas the integrity checks read, the user's declarations (not null, unique, invariants) and amcheck's budget.
import { z } from 'zod';
import { readStatementSql } from '../read-sql.js';

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/** A word or glob of letters, digits, _, * and ?: never a regular expression, so no pattern can run unbounded. */
const moneyWord = () => z.string({ error: 'expected a word or glob' }).max(100, { error: 'expected at most 100 characters' })
  .regex(/^[\p{L}\p{N}_*?]+$/u, { error: 'expected a word or glob of letters, digits, _, * and ? (regular expressions are not accepted)' });

/** A table named `schema.table`, or `table` when it is unambiguous among the checked schemas. */
const tableRef = () => nonEmpty('a table name like "app.accounts" or "accounts"').describe('"schema.table", or "table" when only one checked schema has it');

const ColumnsDeclaration = z.strictObject({
  table: tableRef(),
  columns: z.array(nonEmpty('a column name'), { error: 'expected a list of column names' }).min(1, { error: 'expected at least one column' }).describe('Column names as in the table'),
});

export const InvariantSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, { error: 'expected a name of letters, digits, _ . -' }).describe('Shown in reports and used as the metric tag'),
  sql: readStatementSql().describe('One read statement (SELECT, WITH … SELECT, VALUES, TABLE) that returns the offending rows: zero rows means the invariant holds. Run with the extended protocol in a READ ONLY transaction on a read-only session, rolled back'),
  description: z.string().optional().describe('What the invariant means, shown with a violation'),
});

export const IntegritySection = z
  .strictObject({
    schemas: z.array(nonEmpty('a schema name'), { error: 'expected a list of schema names' }).optional()
      .describe('Schemas to check; default every non-system schema except stackprobe\'s own workload schema'),
    not_null: z.array(ColumnsDeclaration).default([]).describe('Columns that must hold no NULL although the schema allows it: each is counted'),
    unique: z.array(ColumnsDeclaration).default([]).describe('Column sets that must be unique although no constraint says so: duplicates are counted'),
    money_columns: z.array(moneyWord()).default([
      'amount', 'balance', 'price', 'total', 'subtotal', 'fee', 'fees', 'cost', 'tax', 'debit', 'credit', 'salary', 'wage', 'payment', 'principal',
      'interest', 'freight', 'shipping', 'discount', 'refund', 'charge', 'revenue', 'budget', 'cents',
    ]).describe('Words of a column name that add weight to other evidence of money (a declaration, values with cents; a name alone never makes a column money: docs/checks/integrity.md), matched against the words of a column name (split at _ and camelCase, any case); an entry with * or ? is a glob over the whole name written with _ ("unit*"). No regular expressions: matching is bounded'),
    invariants: z.array(InvariantSchema).default([]).describe('Your own rules: each query returns the rows that break it'),
    sample_rows: z.number().int().min(0).max(100).default(5).describe('Example keys/rows shown with each violation'),
    implicit_foreign_keys: z.boolean().default(true).describe('Also look for *_id columns that match a table\'s primary key but have no constraint'),
    sequence_warn_share: z.number().gt(0).max(1).default(0.75).describe('Warn when a sequence or identity column has used this share of its type\'s range'),
    sequence_fail_share: z.number().gt(0).max(1).default(0.9).describe('Fail when a sequence or identity column has used this share of its type\'s range'),
    amcheck: z
      .strictObject({
        budget_ms: z.number().int().positive({ error: 'expected a positive integer' }).default(60_000).describe('Time for amcheck over all relations; the rest is reported as not checked'),
        heapallindexed: z.boolean().default(true).describe('bt_index_check also verifies every heap tuple has an index entry (slower, catches more)'),
        heap: z.boolean().default(true).describe('Also run verify_heapam on tables (PostgreSQL 14+)'),
        create_extension: z.boolean().default(false)
          .describe('CREATE EXTENSION amcheck when it is missing (never under --read-only) and DROP it after the check; off by default because it writes to your database'),
      })
      .prefault({})
      .describe('amcheck in integrity.corruption'),
  })
  .prefault({})
  .describe('Options of the integrity category');

export type IntegrityConfig = z.output<typeof IntegritySection>;
export type Invariant = z.output<typeof InvariantSchema>;
export type ColumnsDecl = z.output<typeof ColumnsDeclaration>;
