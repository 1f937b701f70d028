// Everything `run` checks before it touches a server or writes a file, as one function: `run` and `config validate`
// both call it, so a config that validates is a config that starts (and one that cannot start never validates).
import { builtinChecks } from '../checks/index.js';
import type { Check } from '../checks/types.js';
import { parseMargin } from '../compare/index.js';
import { validateCheckNames, type NameSources } from '../config/check-ids.js';
import { loadConfig, type ConfigSources, type LoadedConfig } from '../config/load.js';
import type { RunResult } from '../result/model.js';
import { readRunFile } from '../result/read.js';
import { locateRunJson } from '../compare/locate.js';
import { ConfigError } from '../util/errors.js';
import { rulesForCheck } from '../verdict/rules.js';
import path from 'node:path';
import { loadPlugins } from './plugins.js';

async function readBaseline(file: string): Promise<RunResult> {
  try {
    // A run.json, a run directory, or an output directory (its latest run).
    return await readRunFile(await locateRunJson(path.resolve(file)));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`config.report.baseline (--baseline): ${err.message}`);
    throw err;
  }
}

export interface PreparedRun extends LoadedConfig {
  /** Built-in checks and the plugins' checks, every one with thresholds that parse. */
  checks: Check[];
  baseline?: RunResult;
  maxRegression: number;
}

/**
 * Schema (with read-statement SQL and shares), plugins that exist and load, check ids in only/skip/checks, every
 * threshold expression (defaults and overrides, of every check, selected or not), the baseline file and the regression
 * margin. Throws ConfigError naming the path: exit 2.
 */
export async function prepareRun(sources: ConfigSources, names: NameSources = {}): Promise<PreparedRun> {
  const loaded = await loadConfig(sources);
  const { config, baseDir } = loaded;
  const checks = [...builtinChecks, ...(await loadPlugins(config.plugins, baseDir))];
  validateCheckNames(config, checks, names);
  // Every check's, not only the selected ones': a typo in a disabled check's threshold would surface on the day it is
  // enabled, and `config validate` cannot know which flags the run will get.
  for (const check of checks) rulesForCheck(check, config);
  // The baseline is read before the run, so a bad file stops at once instead of after minutes of measuring.
  const baseline = config.report.baseline ? await readBaseline(config.report.baseline) : undefined;
  const maxRegression = parseMargin(config.report.max_regression, 'config.report.max_regression');
  return { ...loaded, checks, maxRegression, ...(baseline ? { baseline } : {}) };
}
