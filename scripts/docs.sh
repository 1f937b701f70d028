#!/usr/bin/env bash
# Regenerates docs/config.md and docs/config.schema.json from the zod schema (the unit tests fail when they drift).
set -euo pipefail
cd "$(dirname "$0")/.."
node dist/cli/main.js config schema > docs/config.schema.json
{
  printf '# Configuration reference\n\nGenerated from the zod schema in `src/config/schema.ts` by `stackprobe config docs`; the JSON Schema is in\n[config.schema.json](config.schema.json) (`stackprobe config schema`). See [example_config.json](../example_config.json) for\nevery section in use. Precedence, as in most tools: command-line flags > environment (`DATABASE_URL`, `REDIS_URL`,\n`CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND`) > the config file. When a URL in the file differs from the environment,\n`run` says which it used on its first line (redacted), and `config validate` prints where each URL came from. Keys\nnamed `$comment` or starting with `//` are ignored, so a config can carry comments. Unknown keys are errors, and so are\nkeys named `__proto__`, `constructor` or `prototype` and nesting deeper than 32 levels.\n\nFiles stackprobe reads must be regular files (not a FIFO, a device or a directory) within a size limit: a config file\n4 MiB; a run.json (`report`, `compare`, `history`, `merge`, `--baseline`) 64 MiB, its histograms at most 1 MiB each and\n64 MiB in all once inflated; latest.json 64 KiB.\n\n'
  node dist/cli/main.js config docs
} > docs/config.md
