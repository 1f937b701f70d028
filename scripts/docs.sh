#!/usr/bin/env bash
# Regenerates docs/config.md and docs/config.schema.json from the zod schema (the unit tests fail when they drift).
set -euo pipefail
cd "$(dirname "$0")/.."
node dist/cli/main.js config schema > docs/config.schema.json
{
  printf '# Configuration reference\n\nGenerated from the zod schema in `src/config/schema.ts` by `stackprobe config docs`; the JSON Schema is in\n[config.schema.json](config.schema.json) (`stackprobe config schema`). See [example_config.json](../example_config.json) for\nevery section in use. Precedence: environment (`DATABASE_URL`, `REDIS_URL`, `CELERY_BROKER_URL`,\n`CELERY_RESULT_BACKEND`) < the config file < command-line flags. Keys named `$comment` or starting with `//` are\nignored, so a config can carry comments. Unknown keys are errors.\n\n'
  node dist/cli/main.js config docs
} > docs/config.md
