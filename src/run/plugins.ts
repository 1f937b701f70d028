// Loads user checks from the config's `plugins` (module paths or package names) and validates each against the Check shape.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Check } from '../checks/types.js';
import { ConfigError } from '../util/errors.js';

const fn = (what: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: `expected ${what}` });

const CheckShape = z.object({
  id: z.string().regex(/^[\w.-]+$/, { error: 'expected an id of letters, digits, _ . -' }),
  category: z.string().min(1, { error: 'expected a category name' }),
  title: z.string().min(1, { error: 'expected a title' }),
  needs: z.array(z.enum(['pg', 'redis', 'celery', 'bullmq'])),
  uses: z.array(z.enum(['pg', 'redis', 'celery', 'bullmq'])).optional(),
  writes: z.boolean().optional(),
  thresholds: z.union([fn('a function'), z.record(z.string(), z.array(z.unknown()))], { error: 'expected thresholds(config) or an object of metric -> threshold list' }).optional(),
  typicalQuickMs: z.number().positive({ error: 'expected milliseconds above 0' }).optional(),
  headline: fn('a headline(view) function').optional(),
  run: fn('a run(ctx) function'),
});

function resolveSpecifier(spec: string, baseDir: string): string {
  if (spec.startsWith('.') || path.isAbsolute(spec)) return pathToFileURL(path.resolve(baseDir, spec)).href;
  // A package name: resolve from the config's directory, as the user's project would.
  const require = createRequire(path.join(baseDir, 'noop.js'));
  return pathToFileURL(require.resolve(spec)).href;
}

function toChecks(mod: Record<string, unknown>): unknown[] {
  const exported = mod.default ?? mod.checks ?? mod.check;
  if (exported === undefined) return [];
  return Array.isArray(exported) ? exported : [exported];
}

/** Plain-object thresholds in a plugin are accepted and turned into the function form checks use. */
function normalise(candidate: z.infer<typeof CheckShape>): Check {
  const t = candidate.thresholds;
  if (t === undefined || typeof t === 'function') return candidate as unknown as Check;
  return { ...(candidate as unknown as Check), thresholds: () => t as ReturnType<NonNullable<Check['thresholds']>> };
}

export async function loadPlugins(specs: string[], baseDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [i, spec] of specs.entries()) {
    const where = `config.plugins[${i}] (${spec})`;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(resolveSpecifier(spec, baseDir))) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${where}: cannot load the module: ${(err as Error).message.split('\n')[0]}`);
    }
    const candidates = toChecks(mod);
    if (candidates.length === 0) throw new ConfigError(`${where}: exports no check (expected a default export, or an export named "checks" or "check")`);
    for (const [j, candidate] of candidates.entries()) {
      const parsed = CheckShape.safeParse(candidate);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.join('.') || '(the export)';
        throw new ConfigError(`${where}: check ${j} is not a valid check: ${field}: ${issue.message}`);
      }
      checks.push(normalise(parsed.data));
    }
  }
  return checks;
}
