// Collects from a parse tree every name the server will resolve to something that runs: functions (calls, SRFs in FROM,
// aggregates, window functions, attribute notation `t.f`), operators (incl. those BETWEEN, IN, LIKE, NULLIF and
// IS DISTINCT FROM stand for), types named in casts, and relations. Names only: the catalog (resolve.ts) says what they are.
import { visit, type Tree } from './parse.js';

/** A possibly schema-qualified name as the parser decoded it (U&"…" escapes and quotes already undone). */
export interface QualifiedName {
  schema: string | null;
  name: string;
}

export interface FunctionName extends QualifiedName {
  /** `t.f` or `(row).f`: a call of f(t) only when f takes one argument and t has no column f. */
  attribute: boolean;
}

export interface Refs {
  functions: FunctionName[];
  operators: QualifiedName[];
  /** Type names as written, each part decoded: [schema?, name]; arrays by their element type. */
  types: QualifiedName[];
  relations: QualifiedName[];
}

/**
 * Operators PostgreSQL uses without their name in the text (ORDER BY, GROUP BY, DISTINCT, CASE, IN, GREATEST/LEAST,
 * joins USING, row comparisons): every candidate of these names is checked for every statement.
 */
export const IMPLICIT_OPERATORS = ['=', '<>', '<', '>', '<=', '>='];

/** The operators an A_Expr kind stands for, when its name is not the operator (BETWEEN, LIKE written as a word…). */
const KIND_OPERATORS: Record<string, string[]> = {
  AEXPR_BETWEEN: ['>=', '<='], AEXPR_NOT_BETWEEN: ['<', '>'], AEXPR_BETWEEN_SYM: ['>=', '<='], AEXPR_NOT_BETWEEN_SYM: ['<', '>'],
  AEXPR_DISTINCT: ['='], AEXPR_NOT_DISTINCT: ['='], AEXPR_NULLIF: ['='],
};

const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((n) => (n as { String?: { sval?: string } }).String?.sval).filter((s): s is string => typeof s === 'string') : [];

function qualified(parts: string[]): QualifiedName | null {
  if (parts.length === 0) return null;
  // catalog.schema.name: the database part must be the current one, which the server checks; the schema decides.
  return { schema: parts.length > 1 ? parts[parts.length - 2]! : null, name: parts[parts.length - 1]! };
}

export function emptyRefs(): Refs {
  return { functions: [], operators: [], types: [], relations: [] };
}

/** Adds every reference of `tree` to `into`. */
export function collectRefs(tree: Tree, into: Refs = emptyRefs()): Refs {
  visit(tree, (key, value) => {
    const v = value as Record<string, unknown>;
    switch (key) {
      case 'FuncCall': {
        const q = qualified(strings(v.funcname));
        if (q) into.functions.push({ ...q, attribute: false });
        break;
      }
      case 'A_Expr': {
        const byKind = KIND_OPERATORS[String(v.kind)];
        const name = qualified(strings(v.name));
        if (byKind) for (const op of byKind) into.operators.push({ schema: null, name: op });
        else if (name) into.operators.push(name);
        break;
      }
      case 'typeName':
      case 'TypeName': {
        const q = qualified(strings(v.names));
        if (q) into.types.push(q);
        break;
      }
      case 'RangeVar':
        if (typeof v.relname === 'string') into.relations.push({ schema: typeof v.schemaname === 'string' ? v.schemaname : null, name: v.relname });
        break;
      case 'ColumnRef': {
        // a.b may be a column b of a, or b(a); a.b.c may be b(a.b)… : the last name may always be a function's.
        const parts = strings(v.fields);
        if (parts.length > 1) into.functions.push({ schema: null, name: parts[parts.length - 1]!, attribute: true });
        break;
      }
      case 'A_Indirection':
        for (const name of strings(v.indirection)) into.functions.push({ schema: null, name, attribute: true });
        break;
      default:
    }
  });
  for (const op of IMPLICIT_OPERATORS) into.operators.push({ schema: null, name: op });
  return into;
}
