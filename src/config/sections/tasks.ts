// Config section `tasks`: options of the tasks category. Owned by that category; wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

const positiveInt = () => z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const positive = () => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });
const share = () => z.number({ error: 'expected a share between 0 and 1' }).min(0, { error: 'expected a share between 0 and 1' }).max(1, { error: 'expected a share between 0 and 1' });
const taskName = () => z.string({ error: 'expected a Celery task name' }).regex(/^[\w.:-]+$/, { error: 'expected a Celery task name (letters, digits, _ . : -)' });

/** `tasks.bullmq`: the BullMQ half of the category (its own queue names, key prefix and worker). */
const BullmqSection = z
  .strictObject({
    queue: z
      .string({ error: 'expected a BullMQ queue name' })
      .regex(/^[\w.-]+$/, { error: 'expected a BullMQ queue name (letters, digits, _ . -; no colon)' })
      .optional()
      .describe('Your BullMQ queue: probe jobs are added there and your workers process them (they must accept `job_name`); unset: tasks.bullmq is skipped unless `self_test` is on'),
    prefix: z
      .string({ error: 'expected a BullMQ key prefix' })
      .regex(/^[\w.:{}-]+$/, { error: 'expected a BullMQ key prefix (letters, digits, _ . : { } -)' })
      .default('bull')
      .describe('BullMQ\'s key prefix of `queue` (the `prefix` option of your Queue and Worker)'),
    self_test: z.boolean({ error: 'expected true or false' }).default(false).describe('Also run stackprobe\'s own in-process BullMQ Worker (an echo) on its own queue under its own key prefix, removed afterwards: measures BullMQ and Redis themselves'),
    job_name: z.string({ error: 'expected a job name' }).min(1, { error: 'expected a job name' }).default('stackprobe.probe').describe('Name of the probe jobs; your worker\'s processor must accept it'),
    data: z.record(z.string(), z.unknown(), { error: 'expected a JSON object' }).optional().describe('Probe job data (JSON object); default `{ "stackprobe": true, "n": <sequence number> }`'),
    concurrency: positiveInt().default(4).describe('self_test: concurrency of stackprobe\'s own worker'),
    roundtrip_count: positiveInt().optional().describe('Jobs added one at a time for the round trip; default 20 in quick mode, 100 in full'),
    burst: positiveInt().optional().describe('Throughput: jobs added at once first; default 200 in quick mode, 1000 in full'),
    rate: positive().default(50).describe('Throughput: then jobs per second at a fixed rate'),
    duration_s: positive().optional().describe('Throughput: seconds at the fixed rate; default 5 in quick mode, 20 in full'),
    result_timeout_ms: positiveInt().default(10000).describe('How long to wait for one round-trip job to complete or fail'),
    drain_timeout_s: positive().default(60).describe('Throughput: how long to wait for the backlog to drain after adding'),
  })
  .prefault({})
  .describe('BullMQ queues (tasks.bullmq)');

export const TasksSection = z
  .strictObject({
    queue: z
      .string({ error: 'expected a queue name' })
      .regex(/^[\w.:-]+$/, { error: 'expected a queue name (letters, digits, _ . : -)' })
      .default('stackprobe')
      .describe('Queue the probe tasks go to. A dedicated queue: start a worker with `-Q stackprobe` (or add it to a worker\'s queues), or name your own queue here'),
    task: taskName().default('celery.accumulate').describe('Probe task; the default is built into every Celery worker and echoes its arguments'),
    args: z.array(z.unknown()).optional().describe('Probe task positional arguments (JSON); default `[n]` (the probe\'s sequence number, whose echo is verified) for `celery.accumulate`, none for other tasks'),
    kwargs: z.record(z.string(), z.unknown()).default({}).describe('Probe task keyword arguments (JSON)'),
    result_timeout_ms: positiveInt().default(10000).describe('How long to wait for one task\'s result'),
    control_timeout_ms: positiveInt().default(1000).describe('How long to collect worker replies to ping/stats/active_queues'),
    roundtrip_count: positiveInt().optional().describe('tasks.roundtrip: tasks sent one at a time; default 20 in quick mode, 100 in full'),
    burst: positiveInt().optional().describe('tasks.throughput: tasks sent at once first; default 200 in quick mode, 1000 in full'),
    rate: positive().default(50).describe('tasks.throughput: then tasks per second at a fixed rate'),
    duration_s: positive().optional().describe('tasks.throughput: seconds at the fixed rate; default 5 in quick mode, 20 in full'),
    drain_timeout_s: positive().default(60).describe('tasks.throughput: how long to wait for the backlog to drain after sending'),
    failing_task: taskName().optional().describe('tasks.errors: a task of yours that always fails; each must end in FAILURE with `failing_task_error`'),
    failing_task_args: z.array(z.unknown()).optional().describe('tasks.errors: positional arguments for failing_task (JSON); default `error_task_args`'),
    failing_task_kwargs: z.record(z.string(), z.unknown()).default({}).describe('tasks.errors: keyword arguments for failing_task (JSON)'),
    failing_task_error: z
      .string({ error: 'expected an exception type, optionally with a message: "ValueError" or "ValueError: text"' })
      .regex(/^[A-Za-z_][\w.]*(: .*)?$/s, { error: 'expected an exception type, optionally with a message: "ValueError" or "ValueError: text"' })
      .optional()
      .describe('tasks.errors: the error failing_task is meant to raise: an exception type (`ValueError`), optionally `: text` its message must contain. Unset: any error except a TypeError about the call\'s arguments'),
    retrying_task: taskName().optional().describe('tasks.errors: a task of yours that retries before it succeeds; each must end in SUCCESS after at least one retry'),
    retrying_task_args: z.array(z.unknown()).optional().describe('tasks.errors: positional arguments for retrying_task (JSON); default `error_task_args`'),
    retrying_task_kwargs: z.record(z.string(), z.unknown()).default({}).describe('tasks.errors: keyword arguments for retrying_task (JSON)'),
    error_task_args: z.array(z.unknown()).default([]).describe('tasks.errors: positional arguments for failing_task and retrying_task when their own `*_args` are not set'),
    error_count: positiveInt().default(5).describe('tasks.errors: tasks of each kind sent'),
    min_expected_outcome: share().default(1).describe('tasks.errors: share of each kind\'s tasks that must end as expected (sent, failed sends and timeouts counted)'),
    max_submit_error_rate: share().default(0.01).describe('tasks.throughput: share of publishes that may fail or time out'),
    min_keep_up: share().default(0.9).describe('tasks.throughput: fail when the workers complete less than this share of the offered rate while the backlog grows (steady phase)'),
    warn_keep_up: share().default(0.95).describe('tasks.throughput: warn below this keep-up share'),
    e2e_p95_ms: positive().default(5000).describe('tasks.throughput: p95 of the steady phase\'s end-to-end time (from the intended send to the result) must stay below this (ms)'),
    queues: z
      .array(z.string({ error: 'expected a queue name' }).regex(/^[\w.:-]+$/, { error: 'expected a queue name (letters, digits, _ . : -)' }))
      .default([])
      .describe('tasks.queues: your application\'s queues to watch, besides those the workers consume (`active_queues`) and those the broker holds bindings for (Redis); under --read-only on AMQP the only source'),
    queue_window_s: positive().default(5).describe('tasks.queues: seconds the queues are sampled (every 500 ms); a message still next in line after the whole window has waited at least that long'),
    max_message_age_s: positive().default(300).describe('tasks.queues: a queue whose oldest message has waited at least this long (as far as stackprobe can tell) is a backlog'),
    runtime_window_s: positive().optional().describe('tasks.runtime: seconds of Celery events collected; default 10 in quick mode, 30 in full'),
    enable_events: z.boolean({ error: 'expected true or false' }).default(false).describe('tasks.runtime: when the workers send no events, turn them on (`enable_events`, a broadcast to your workers) for the window and off again afterwards; never under --read-only'),
    max_failure_rate: share().default(0.05).describe('tasks.runtime: share of the tasks finished in the window that may fail (FAILURE) without failing the check'),
    max_retry_rate: share().default(0.1).describe('tasks.runtime: warn when more than this share of task executions in the window ended in a retry'),
    utilisation_samples: positiveInt().default(5).describe('tasks.config: `active` samples (one every 500 ms) for the pool utilisation (active tasks / pool processes)'),
    bullmq: BullmqSection,
  })
  .prefault({})
  .describe('Options of the tasks category');
