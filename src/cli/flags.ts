// Maps command-line flags onto config keys (snake_case), keeping only what the user actually set so flags override the file.
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
  keepData?: boolean;
  format?: string;
  logLevel?: string;
  json?: boolean;
  color?: boolean;
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
  if (f.only !== undefined) out.only = splitList(f.only);
  if (f.skip !== undefined) out.skip = splitList(f.skip);
  if (f.readOnly) out.read_only = true;
  if (f.keepData) out.keep_data = true;
  if (f.format !== undefined) out.formats = splitList(f.format);
  if (f.logLevel !== undefined) out.log_level = f.logLevel;
  return out;
}
