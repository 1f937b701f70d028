// A run of tasks checks in a child process, so a test can SIGKILL it mid-run. Input JSON in argv[2]: config and check ids.
import { runTasksChecks } from '../helpers/celery-worker.js';

const input = JSON.parse(process.argv[2] ?? '{}') as { config: Record<string, unknown>; checks: string[] };
const results = await runTasksChecks(input.config, input.checks);
process.stdout.write(`${JSON.stringify(results.map((c) => [c.id, c.status]))}\n`);
