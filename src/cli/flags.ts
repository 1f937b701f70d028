// Maps command-line flags onto config keys (snake_case), keeping only what the user actually set so flags override the file.
import { parsePgMajor } from '../targets/embedded/builds.js';
import { ConfigError } from '../util/errors.js';

export interface RunFlags {
  quick?: boolean;
  full?: boolean;
  loadTest?: boolean;
  config?: string;
  output?: string;
  only?: string;
  skip?: string;
  readOnly?: boolean;
  allowPrivilegedRole?: boolean;
  keepData?: boolean;
  format?: string;
  logLevel?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  baseline?: string;
  push?: string;
  workers?: string;
  segment?: string;
  pgVersion?: string;
  runId?: string;
  /** `--dashboard` (true) or `--dashboard=PORT`: the live view; not config, it lives only while this process runs. */
  dashboard?: string | boolean;
}

export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function flagsToConfig(f: RunFlags): Record<string, unknown> {
  const modes = [f.quick && 'quick', f.full && 'full', f.loadTest && 'load-test'].filter(Boolean) as string[];
  if (modes.length > 1) throw new ConfigError(`choose one of --quick, --full, --load-test (got ${modes.map((m) => `--${m}`).join(' and ')})`);
  const out: Record<string, unknown> = {};
  if (modes[0]) out.mode = modes[0];
  if (f.output !== undefined) out.output = f.output;
  if (f.only !== undefined) {
    out.only = splitList(f.only);
    // `--only ''` (an unset shell variable) would run nothing and exit 0: a CI job that silently tests nothing.
    if ((out.only as string[]).length === 0) throw new ConfigError(`--only: expected a comma-separated list of categories or check ids, got ${JSON.stringify(f.only)}`);
  }
  if (f.skip !== undefined) out.skip = splitList(f.skip);
  if (f.pgVersion !== undefined) out.embedded = { pg_version: parsePgMajor(f.pgVersion, '--pg-version') };
  if (f.readOnly) out.read_only = true;
  if (f.allowPrivilegedRole) out.allow_privileged_role = true;
  if (f.keepData) out.keep_data = true;
  if (f.format !== undefined) out.formats = splitList(f.format);
  if (f.logLevel !== undefined) out.log_level = f.logLevel;
  if (f.baseline !== undefined || f.push !== undefined) {
    out.report = { ...(f.baseline !== undefined ? { baseline: f.baseline } : {}), ...(f.push !== undefined ? { push_url: f.push } : {}) };
  }
  if (f.workers !== undefined || f.segment !== undefined || f.runId !== undefined) {
    // A number when it looks like one, else the text as given, so the schema's message names config.load.workers.
    const workers = f.workers !== undefined && /^\d+$/.test(f.workers.trim()) ? Number(f.workers) : f.workers;
    const prev = (out.load ?? {}) as Record<string, unknown>;
    out.load = { ...prev, ...(workers !== undefined ? { workers } : {}), ...(f.segment !== undefined ? { segment: f.segment } : {}), ...(f.runId !== undefined ? { run_id: f.runId } : {}) };
  }
  return out;
}
