// Builds the effective config: the JSON file, then the environment, then flags (flags win, as in most tools: the
// environment is what a deployment sets for this run, the file what was checked in), validated by the schema.
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import { MAX_CONFIG_BYTES, readBoundedText } from '../util/read-bounded.js';
import { checkShape } from './shape.js';
import { urlSources, type UrlSource } from './url-sources.js';
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
  /** Where each URL set came from, and a differing value it won over (for the run's first line and `config validate`). */
  urlSources: UrlSource[];
}

export const ENV_KEYS = {
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

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  // A regular file of at most MAX_CONFIG_BYTES: a FIFO or /dev/zero given as --config must not hang or fill memory.
  const text = await readBoundedText(file, `config file ${file}`, MAX_CONFIG_BYTES);
  let parsed: unknown;
  try {
    // A byte-order mark, as some Windows editors write, is not part of the JSON.
    parsed = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    const hint = /^\s*\/\/|\/\*/m.test(text) ? ' (JSON has no comments: write them as "$comment" or "// key" keys, as example_config.json does)' : '';
    throw new ConfigError(`config file ${file}: not valid JSON: ${(err as Error).message}${hint}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`config file ${file}: expected a JSON object at the top level`);
  // Before any recursive walk (comments, merge, schema): depth and key names checked without recursion.
  checkShape(parsed, `config file ${file}`);
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
  checkShape(raw);
  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues));
  const conflict = replayReadOnlyConflict(result.data);
  if (conflict) throw new ConfigError(conflict);
  return result.data;
}

/** Config file < environment < flags: each later layer wins, key by key (objects merged, arrays and scalars replaced). */
export async function loadConfig(sources: ConfigSources): Promise<LoadedConfig> {
  const fileLayer = sources.file ? await readConfigFile(sources.file) : {};
  const envLayer = fromEnv(sources.env ?? {});
  const flagLayer = sources.flags ?? {};
  checkShape(flagLayer, 'flags');
  const merged = mergeDeep(mergeDeep(fileLayer, envLayer), flagLayer);
  const baseDir = sources.file ? path.dirname(path.resolve(sources.file)) : process.cwd();
  return {
    config: validateConfig(merged),
    baseDir,
    ...(sources.file ? { file: sources.file } : {}),
    urlSources: urlSources({ file: fileLayer, env: envLayer, flags: flagLayer }),
  };
}
