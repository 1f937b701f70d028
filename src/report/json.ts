// run.json out and back in: pretty JSON, and a reader that checks a file really is a stackprobe result of this schema version.
import { SCHEMA_VERSION, type RunResult } from '../result/model.js';
import { ConfigError, describeError } from '../util/errors.js';

export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

const TOP_LEVEL: Array<[string, Kind]> = [
  ['mode', 'string'], ['readOnly', 'boolean'], ['interrupted', 'boolean'], ['startedAt', 'string'], ['endedAt', 'string'],
  ['durationMs', 'number'], ['environment', 'object'], ['checks', 'array'], ['summary', 'object'], ['recommendations', 'array'],
];
const CHECK: Array<[string, Kind]> = [
  ['id', 'string'], ['category', 'string'], ['title', 'string'], ['status', 'string'], ['startedAt', 'string'], ['durationMs', 'number'],
  ['metrics', 'array'], ['timeSeries', 'array'], ['thresholds', 'array'], ['ratings', 'array'], ['findings', 'array'], ['info', 'object'],
];
const ENVIRONMENT: Array<[string, Kind]> = [['tool', 'object'], ['client', 'object'], ['targets', 'object'], ['unavailable', 'object']];
const SUMMARY: Array<[string, Kind]> = [
  ['total', 'number'], ['passed', 'number'], ['warned', 'number'], ['failed', 'number'], ['skipped', 'number'],
  ['successRate', 'number'], ['process', 'object'], ['thresholds', 'array'],
];
const STATUSES = ['pass', 'warn', 'fail', 'skip'];

function kindOf(v: unknown): Kind | 'null' | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' || t === 'object' ? t : 'other';
}

function requireFields(obj: Record<string, unknown>, fields: Array<[string, Kind]>, at: string, file: string): void {
  for (const [key, kind] of fields) {
    const path = at ? `${at}.${key}` : key;
    if (!(key in obj) || obj[key] === undefined) throw new ConfigError(`${file}: not a valid stackprobe result: missing field "${path}"`);
    const found = kindOf(obj[key]);
    if (found !== kind) throw new ConfigError(`${file}: not a valid stackprobe result: field "${path}" should be ${kind === 'array' ? 'an array' : `a ${kind}`}, found ${found}`);
  }
}

/**
 * Reads a run.json written by `renderJson`. Checks the schema version and the fields every reporter relies on;
 * any problem is a ConfigError naming the file, so `stackprobe report` exits 2 with a clear message.
 */
export function parseRunJson(text: string, file: string): RunResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not a stackprobe result: the file is not valid JSON (${describeError(err)})`);
  }
  if (kindOf(data) !== 'object') throw new ConfigError(`${file}: not a stackprobe result: expected a JSON object, found ${kindOf(data)}`);
  const obj = data as Record<string, unknown>;
  if (!('schemaVersion' in obj)) throw new ConfigError(`${file}: not a stackprobe result: missing field "schemaVersion"`);
  if (obj.schemaVersion !== SCHEMA_VERSION) {
    throw new ConfigError(
      `${file}: schemaVersion ${JSON.stringify(obj.schemaVersion)} is not supported; this version of stackprobe reads schemaVersion ${SCHEMA_VERSION}`,
    );
  }
  requireFields(obj, TOP_LEVEL, '', file);
  requireFields(obj.environment as Record<string, unknown>, ENVIRONMENT, 'environment', file);
  requireFields(obj.summary as Record<string, unknown>, SUMMARY, 'summary', file);
  (obj.checks as unknown[]).forEach((check, i) => {
    const at = `checks[${i}]`;
    if (kindOf(check) !== 'object') throw new ConfigError(`${file}: not a valid stackprobe result: "${at}" should be an object, found ${kindOf(check)}`);
    const c = check as Record<string, unknown>;
    requireFields(c, CHECK, at, file);
    if (!STATUSES.includes(c.status as string)) {
      throw new ConfigError(`${file}: not a valid stackprobe result: "${at}.status" should be one of ${STATUSES.join(', ')}, found ${JSON.stringify(c.status)}`);
    }
  });
  return obj as unknown as RunResult;
}
