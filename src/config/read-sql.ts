// A config field holding user SQL: one read statement, checked before any server is touched (exit 2 naming the path).
import { z } from 'zod';
import { whyNotReadStatement } from '../safety/read-statement.js';

export function readStatementSql() {
  return z
    .string({ error: 'expected an SQL statement' })
    .min(1, { error: 'expected an SQL statement' })
    .superRefine((sql, ctx) => {
      const why = whyNotReadStatement(sql);
      if (why) ctx.addIssue({ code: 'custom', message: `expected one read statement (SELECT, WITH … SELECT, VALUES or TABLE): ${why}` });
    });
}
