// Decides, before any server is touched, whether a user's SQL is one read statement (SELECT, WITH … SELECT, VALUES, TABLE).
// A tokenizer, not a parser: it knows PostgreSQL's comments, string, dollar and identifier quoting, which is what is needed
// to find statement separators and top-level keywords reliably. The server-side READ ONLY session is the second wall.

interface Token {
  /** Upper-cased word, or the punctuation character itself. */
  text: string;
  /** Parenthesis depth at which the token stands. */
  depth: number;
}

const READ_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', '(']);
const WRITE_WORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Functions with effects outside the transaction that a READ ONLY transaction does not stop (files, other sessions,
 * other servers, the server's configuration). Best effort: a user function can still do anything its owner may.
 */
const SIDE_EFFECT_FUNCTIONS = new Set([
  'LO_EXPORT', 'LO_IMPORT', 'PG_FILE_WRITE', 'PG_FILE_UNLINK', 'PG_FILE_RENAME', 'PG_FILE_SYNC',
  'DBLINK', 'DBLINK_EXEC', 'DBLINK_CONNECT', 'DBLINK_SEND_QUERY',
  'PG_TERMINATE_BACKEND', 'PG_CANCEL_BACKEND', 'PG_RELOAD_CONF', 'PG_ROTATE_LOGFILE', 'PG_LOG_BACKEND_MEMORY_CONTEXTS',
  'PG_SWITCH_WAL', 'PG_CREATE_RESTORE_POINT', 'PG_PROMOTE', 'PG_WAL_REPLAY_PAUSE', 'PG_WAL_REPLAY_RESUME',
  'PG_CREATE_PHYSICAL_REPLICATION_SLOT', 'PG_CREATE_LOGICAL_REPLICATION_SLOT', 'PG_DROP_REPLICATION_SLOT',
  'PG_REPLICATION_ORIGIN_CREATE', 'PG_REPLICATION_ORIGIN_DROP', 'PG_NOTIFY', 'SET_CONFIG',
  'PG_ADVISORY_LOCK', 'PG_ADVISORY_XACT_LOCK', 'PG_TRY_ADVISORY_LOCK', 'PG_ADVISORY_UNLOCK_ALL',
]);

class Lexer {
  private i = 0;
  private depth = 0;
  readonly tokens: Token[] = [];
  constructor(private readonly sql: string) {}

  run(): string | null {
    const s = this.sql;
    while (this.i < s.length) {
      const c = s[this.i]!;
      const next = s[this.i + 1];
      if (/\s/.test(c)) this.i++;
      else if (c === '-' && next === '-') this.skipTo('\n');
      else if (c === '/' && next === '*') { if (!this.blockComment()) return 'a /* comment is not closed'; }
      else if (c === "'") { if (!this.quoted("'", this.backslashes())) return 'a string literal is not closed'; this.push("'"); }
      else if (c === '"') {
        const start = this.i + 1;
        if (!this.quoted('"', false)) return 'a quoted identifier is not closed';
        // Kept with a leading quote: never a keyword, but still a function name to look up.
        this.push(`"${this.sql.slice(start, this.i - 1).replaceAll('""', '"').toUpperCase()}`);
      }
      else if (c === '$' && this.dollarTag() !== undefined) { if (!this.dollarQuoted()) return 'a $-quoted string is not closed'; this.push("'"); }
      else if (/[A-Za-z_\u0080-\uffff]/.test(c)) this.word();
      else {
        if (c === '(') this.depth++;
        if (c === ')') this.depth--;
        this.push(c);
        this.i++;
      }
    }
    return null;
  }

  private push(text: string): void {
    this.tokens.push({ text, depth: this.depth });
  }

  private skipTo(end: string): void {
    const j = this.sql.indexOf(end, this.i);
    this.i = j < 0 ? this.sql.length : j + end.length;
  }

  /** Block comments nest in PostgreSQL. */
  private blockComment(): boolean {
    let level = 0;
    while (this.i < this.sql.length) {
      if (this.sql.startsWith('/*', this.i)) { level++; this.i += 2; }
      else if (this.sql.startsWith('*/', this.i)) { level--; this.i += 2; if (level === 0) return true; }
      else this.i++;
    }
    return false;
  }

  /** E'…' strings honour backslash escapes; the previous token tells whether this literal had an E prefix. */
  private backslashes(): boolean {
    const prev = this.sql[this.i - 1];
    return prev === 'E' || prev === 'e';
  }

  private quoted(q: string, backslash: boolean): boolean {
    this.i++;
    while (this.i < this.sql.length) {
      const c = this.sql[this.i]!;
      if (backslash && c === '\\') { this.i += 2; continue; }
      if (c === q) {
        if (this.sql[this.i + 1] === q) { this.i += 2; continue; }
        this.i++;
        return true;
      }
      this.i++;
    }
    return false;
  }

  private dollarTag(): string | undefined {
    const m = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(this.sql.slice(this.i, this.i + 64));
    return m ? m[0] : undefined;
  }

  private dollarQuoted(): boolean {
    const tag = this.dollarTag()!;
    const end = this.sql.indexOf(tag, this.i + tag.length);
    if (end < 0) return false;
    this.i = end + tag.length;
    return true;
  }

  private word(): void {
    const m = /^[A-Za-z_\u0080-\uffff][A-Za-z_0-9$\u0080-\uffff]*/.exec(this.sql.slice(this.i))!;
    this.i += m[0].length;
    // E'…' : the E belongs to the literal that follows.
    if ((m[0] === 'E' || m[0] === 'e') && this.sql[this.i] === "'") return;
    this.push(m[0].toUpperCase());
  }
}

/** Why `sql` is not one read statement, or null when it is. */
export function whyNotReadStatement(sql: string): string | null {
  const lexer = new Lexer(sql);
  const lexError = lexer.run();
  if (lexError) return lexError;
  const tokens = lexer.tokens;
  while (tokens.length && tokens[tokens.length - 1]!.text === ';') tokens.pop();
  if (tokens.length === 0) return 'it is empty';
  if (tokens.some((t) => t.text === ';')) return 'it holds more than one statement (a ; between statements); give one statement per entry';
  // Unbalanced parentheses never make one valid statement, and they could close a wrapper's subquery early.
  if (tokens.some((t) => t.depth < 0) || tokens[tokens.length - 1]!.depth !== 0) return 'its parentheses are not balanced';
  const first = tokens[0]!.text;
  if (!READ_STARTS.has(first)) return `it starts with ${first}, not SELECT, WITH, VALUES or TABLE`;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1]?.text;
    // A data-modifying CTE: WITH x AS ( [NOT] [MATERIALIZED] ( INSERT|UPDATE|DELETE|MERGE …
    if (WRITE_WORDS.has(t.text) && (prev === '(' || prev === 'MATERIALIZED') && t.depth > 0) return `it holds a data-modifying ${t.text}`;
    if (t.text === 'INTO' && t.depth === 0 && first === 'SELECT') return 'SELECT … INTO creates a table';
    if (t.text === 'FOR' && ['UPDATE', 'SHARE', 'NO'].includes(tokens[k + 1]?.text ?? '') && prev !== '(') return 'it takes row locks (FOR UPDATE/SHARE)';
    const name = t.text.startsWith('"') ? t.text.slice(1) : t.text;
    if (SIDE_EFFECT_FUNCTIONS.has(name) && tokens[k + 1]?.text === '(') return `it calls ${name.toLowerCase()}(), which acts outside the transaction`;
  }
  return null;
}
