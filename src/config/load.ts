// Builds the effective config: environment, then the JSON file, then flags (flags win), validated by the schema.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import { replayReadOnlyConflict } from './sections/load.js';
import { ConfigSchema, type Config } from './schema.js';
import { formatIssues } from './format-issues.js';

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  file?: string;
  /** Already in config shape (snake_case keys), only the keys the user set. */
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** Directory plugin paths are resolved against: the config file's, else the working directory. */
  baseDir: string;
  file?: string;
}

const ENV_KEYS = {
  DATABASE_URL: 'database_url',
  REDIS_URL: 'redis_url',
  CELERY_BROKER_URL: 'celery_broker_url',
  CELERY_RESULT_BACKEND: 'celery_result_backend',
} as const;

/** `$comment` and `//…` keys let example_config.json carry comments while staying plain JSON. */
function stripComments(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripComments);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$comment' || k.startsWith('//')) continue;
      out[k] = stripComments(v);
    }
    return out;
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars from `over` replace those in `base`. */
export function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? mergeDeep(prev, v) : v;
  }
  return out;
}

const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory, not a file', EACCES: 'permission denied' };

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${file}: cannot read it (${READ_ERRORS[code ?? ''] ?? code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    // A byte-order mark, as some Windows editors write, is not part of the JSON.
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    const hint = /^\s*\/\/|\/\*/m.test(text) ? ' (JSON has no comments: write them as "$comment" or "// key" keys, as example_config.json does)' : '';
    throw new ConfigError(`config file ${file}: not valid JSON: ${(err as Error).message}${hint}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`config file ${file}: expected a JSON object at the top level`);
  return stripComments(parsed) as Record<string, unknown>;
}

export function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [envKey, configKey] of Object.entries(ENV_KEYS)) {
    const v = env[envKey];
    if (v !== undefined && v !== '') out[configKey] = v;
  }
  return out;
}

export function validateConfig(raw: unknown): Config {
  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));
  const conflict = replayReadOnlyConflict(result.data);
  if (conflict) throw new ConfigError(conflict);
  return result.data;
}

export async function loadConfig(sources: ConfigSources): Promise<LoadedConfig> {
  let merged = fromEnv(sources.env ?? {});
  let baseDir = process.cwd();
  if (sources.file) {
    merged = mergeDeep(merged, await readConfigFile(sources.file));
    baseDir = path.dirname(path.resolve(sources.file));
  }
  merged = mergeDeep(merged, sources.flags ?? {});
  return { config: validateConfig(merged), baseDir, ...(sources.file ? { file: sources.file } : {}) };
}
