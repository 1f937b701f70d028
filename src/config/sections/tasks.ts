// Config section `tasks`: options of the tasks category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

const positiveInt = () => z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const positive = () => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });
const taskName = () => z.string({ error: 'expected a Celery task name' }).regex(/^[\w.:-]+$/, { error: 'expected a Celery task name (letters, digits, _ . : -)' });

export const TasksSection = z
  .strictObject({
    queue: z
      .string({ error: 'expected a queue name' })
      .regex(/^[\w.:-]+$/, { error: 'expected a queue name (letters, digits, _ . : -)' })
      .default('stackprobe')
      .describe('Queue the probe tasks go to. A dedicated queue: start a worker with `-Q stackprobe` (or add it to a worker\'s queues), or name your own queue here'),
    task: taskName().default('celery.accumulate').describe('Probe task; the default is built into every Celery worker and echoes its arguments'),
    args: z.array(z.unknown()).optional().describe('Probe task arguments (JSON); default `[n]`, the probe\'s sequence number, whose echo is verified'),
    kwargs: z.record(z.string(), z.unknown()).default({}).describe('Probe task keyword arguments (JSON)'),
    result_timeout_ms: positiveInt().default(10000).describe('How long to wait for one task\'s result'),
    control_timeout_ms: positiveInt().default(1000).describe('How long to collect worker replies to ping/stats/active_queues'),
    roundtrip_count: positiveInt().optional().describe('tasks.roundtrip: tasks sent one at a time; default 20 in quick mode, 100 in full'),
    burst: positiveInt().optional().describe('tasks.throughput: tasks sent at once first; default 200 in quick mode, 1000 in full'),
    rate: positive().default(50).describe('tasks.throughput: then tasks per second at a fixed rate'),
    duration_s: positive().optional().describe('tasks.throughput: seconds at the fixed rate; default 5 in quick mode, 20 in full'),
    drain_timeout_s: positive().default(60).describe('tasks.throughput: how long to wait for the backlog to drain after sending'),
    failing_task: taskName().optional().describe('tasks.errors: a task of yours that always fails (its failures and time to FAILURE are measured)'),
    retrying_task: taskName().optional().describe('tasks.errors: a task of yours that retries before it succeeds (its retries and time to SUCCESS are measured)'),
    error_task_args: z.array(z.unknown()).default([]).describe('tasks.errors: arguments for failing_task and retrying_task'),
    error_count: positiveInt().default(5).describe('tasks.errors: tasks of each kind sent'),
  })
  .prefault({})
  .describe('Options of the tasks category');
