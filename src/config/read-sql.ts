// A config field holding user SQL: one read statement by PostgreSQL's own parser, checked before any server is touched
// (exit 2 naming the path). What it may run is judged later, on the target's catalog (safety/guard.ts).
import { z } from 'zod';
import { whyNotReadStatement } from '../safety/parse.js';

export function readStatementSql() {
  return z
    .string({ error: 'expected an SQL statement' })
    .min(1, { error: 'expected an SQL statement' })
    .superRefine((sql, ctx) => {
      const why = whyNotReadStatement(sql);
      if (why) ctx.addIssue({ code: 'custom', message: `expected one read statement (SELECT, WITH … SELECT, VALUES or TABLE): ${why}` });
    });
}
