// `stackprobe config schema|docs|validate`: the config file's schema, its reference table, and validation that is
// exactly run's (src/run/prepare.ts), so a config that validates is one that starts.
import type { Command } from 'commander';
import { redactText } from '../util/redact.js';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('the configuration file');
  config
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(async () => {
      // Loaded when the command runs, not when the CLI starts: `--version`, `--help` and the other commands stay quick.
      const { configJsonSchema } = await import('../config/schema.js');
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
  config
    .command('docs')
    .description('print the config reference as a Markdown table (docs/config.md is made from it)')
    .action(async () => {
      const [{ configJsonSchema }, { renderConfigDocs }] = await Promise.all([import('../config/schema.js'), import('../config/docs-table.js')]);
      process.stdout.write(renderConfigDocs(configJsonSchema()));
    });
  config
    .command('validate')
    .description("validate a config file (with the environment) exactly as `run` does before it starts; print the effective config (URLs redacted) on stdout and where each URL came from on stderr (flags > environment > config file)")
    .argument('<file>', 'the JSON config file')
    .action(async (file: string) => {
      const [{ prepareRun }, { sourceLines }] = await Promise.all([import('../run/prepare.js'), import('../config/url-sources.js')]);
      const { config: c, urlSources } = await prepareRun({ env: process.env, file });
      process.stdout.write(`${redactText(JSON.stringify(c, null, 2))}\n`);
      // Where each URL came from, on stderr so stdout stays the config as JSON (flags > environment > config file).
      process.stderr.write(`${sourceLines(urlSources, file).map((l) => redactText(l)).join('\n')}\n`);
    });
}
