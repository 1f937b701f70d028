// The plugin contract speaks interfaces of ours, never a driver's classes: TypeScript's checker walks every type a
// plugin can reach from the Check interface (its context, the targets, their sessions, clients and methods) and
// finds no declaration of ioredis or node-postgres among them.
import { join, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DRIVERS = /[\\/]node_modules[\\/](ioredis|pg|pg-pool|pg-protocol|pg-copy-streams|@types[\\/]pg)[\\/]/;

function program(): ts.Program {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  return ts.createProgram({ rootNames: [join(ROOT, 'src/index.ts')], options });
}

/** `Check.run -> CheckContext.targets -> …` paths to every driver declaration reachable from `start`. */
function driverTypesReachable(checker: ts.TypeChecker, start: ts.Type, name: string): string[] {
  const seen = new Set<ts.Type>();
  const found: string[] = [];
  const visit = (type: ts.Type, path: string, depth: number): void => {
    if (seen.has(type) || depth > 12) return;
    seen.add(type);
    const decls = [...(type.getSymbol()?.declarations ?? []), ...(type.aliasSymbol?.declarations ?? [])];
    const driver = decls.find((d) => DRIVERS.test(d.getSourceFile().fileName));
    if (driver) {
      found.push(`${path}: ${checker.typeToString(type)}`);
      return;
    }
    // Node's and the language's own types (Buffer, Promise's internals, EventEmitter) are nobody's driver.
    if (decls.some((d) => d.getSourceFile().fileName.includes(`${sep}node_modules${sep}`)) && !type.aliasTypeArguments && !(type as ts.TypeReference).typeArguments) return;
    if (type.isUnionOrIntersection()) type.types.forEach((t) => visit(t, path, depth + 1));
    for (const arg of [...(type.aliasTypeArguments ?? []), ...((type as ts.TypeReference).target ? checker.getTypeArguments(type as ts.TypeReference) : [])]) visit(arg, `${path}<>`, depth + 1);
    for (const sig of [...type.getCallSignatures(), ...type.getConstructSignatures()]) {
      for (const p of sig.getParameters()) visit(checker.getTypeOfSymbol(p), `${path}(${p.name})`, depth + 1);
      visit(sig.getReturnType(), `${path}()`, depth + 1);
    }
    if (decls.some((d) => d.getSourceFile().fileName.includes(`${sep}node_modules${sep}`))) return;
    for (const prop of type.getProperties()) visit(checker.getTypeOfSymbol(prop), `${path}.${prop.name}`, depth + 1);
  };
  visit(start, name, 0);
  return found;
}

describe('the plugin contract', () => {
  const p = program();
  const checker = p.getTypeChecker();
  const index = checker.getSymbolAtLocation(p.getSourceFile(join(ROOT, 'src/index.ts'))!)!;
  const exported = (name: string) => {
    const sym = checker.getExportsOfModule(index).find((s) => s.name === name);
    if (!sym) throw new Error(`src/index.ts does not export ${name}`);
    return checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(sym));
  };

  it('reaches no driver class from Check, its context and targets', () => {
    for (const name of ['Check', 'CheckContext', 'Targets', 'PgTarget', 'RedisTarget', 'RedisClient', 'PgPool']) {
      expect(driverTypesReachable(checker, exported(name), name), name).toEqual([]);
    }
  }, 120_000);

  it('would name a driver class that crept in (the walk sees through methods, promises and unions)', () => {
    // ioredis's own client, and node-postgres's pool config the target makes internally, are found.
    const target = p.getSourceFile(join(ROOT, 'src/targets/pg/target.ts'))!;
    const poolConfig = checker.getExportsOfModule(checker.getSymbolAtLocation(target)!).find((s) => s.name === 'poolConfig')!;
    expect(driverTypesReachable(checker, checker.getTypeOfSymbol(poolConfig), 'poolConfig')).not.toEqual([]);
    const redis = p.getSourceFile(join(ROOT, 'src/targets/redis/target.ts'))!;
    const driverRedis = checker.getExportsOfModule(checker.getSymbolAtLocation(redis)!).find((s) => s.name === 'driverRedis')!;
    expect(driverTypesReachable(checker, checker.getTypeOfSymbol(driverRedis), 'driverRedis')).toEqual([expect.stringMatching(/^driverRedis\(\): Redis/)]);
  });
});
