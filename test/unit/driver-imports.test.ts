// Only src/targets speaks to a PostgreSQL driver (docs/connections.md, docs/architecture.md): every import of src/,
// read with TypeScript's own scanner, names pg or pg-copy-streams inside src/targets only, so checks, the workload and
// plugins get sessions from their target and the run's budget and cleanup see every one.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');
const DRIVERS = /^(pg|pg-copy-streams|pg-pool|pg-protocol|pg-connection-string)(\/|$)/;

function driverImports(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName).filter((name) => DRIVERS.test(name));
}

describe('driver imports', () => {
  it('happen in src/targets only', () => {
    const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const outside = files
      .filter((f) => !f.startsWith(`targets${sep}`))
      .flatMap((f) => driverImports(readFileSync(join(SRC, f), 'utf8')).map((name) => `${f.split(sep).join('/')} imports ${name}`));
    expect(outside).toEqual([]);
    // The rule sees what it is meant to: the target itself imports the driver.
    expect(driverImports(readFileSync(join(SRC, 'targets/pg/target.ts'), 'utf8'))).toContain('pg');
  });

  it('catches a planted import, a type-only one included', () => {
    expect(driverImports(`import type pg from 'pg';\nimport { from } from 'pg-copy-streams';\nimport x from './pg.js';`)).toEqual(['pg', 'pg-copy-streams']);
  });
});
