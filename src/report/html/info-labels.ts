// The words a reader sees for a check's free-form figures (info keys): declared here, key by key, for the keys whose
// spelling says nothing to a reader (`setupMs`, `replacedLeftover`); any other key is spelled out from its own words
// (`p95_ms` -> "p95 (ms)"). run.json keeps the keys as they are.

const LABELS: Record<string, string> = {
  setupMs: 'setup time (ms)',
  replacedLeftover: 'replaced a leftover stackprobe schema from an earlier run',
  prepared: 'created the workload for this run',
  kept: 'workload kept after the run (keep_data)',
  amcheckCreated: 'amcheck extension created for this run',
  bytesCompared: 'bytes compared',
  bytesLeftOut: 'bytes left out',
  clientCpuPercent: 'client CPU (%)',
  hostCpuPercent: 'host CPU (%)',
  hostCpuFrom: 'host CPU measured from',
  loadPerCore: 'load per core',
  eventLoopDelayMaxMs: 'client event-loop delay, max (ms)',
  eventLoopDelayP99Ms: 'client event-loop delay, p99 (ms)',
  measurement_saturation: 'was stackprobe\'s own client saturated?',
  host_busy: 'host busy with other work',
  completedRate: 'completed/s',
  droppedRate: 'dropped/s',
  offeredRate: 'offered/s',
  startedRate: 'started/s',
  completionRatio: 'completed / offered',
  minCompletionRatio: 'lowest completed / offered allowed',
  maxErrorRate: 'highest error rate allowed',
  errorRate: 'error rate',
  errorKinds: 'errors by kind',
  firstBeyond: 'first stage beyond the limits',
  withinLimits: 'within the limits',
  durationS: 'duration (s)',
  p95Ms: 'p95 limit (ms)',
  intervalMs: 'measured over (ms)',
  rtoEstimateS: 'estimated restore time (s)',
  relationsChecked: 'relations checked',
  damagedProbes: 'damaged probes',
  foreignKeys: 'foreign keys',
  moneyColumns: 'money columns',
  moneyEvidence: 'why these are money columns',
  definitionsByMeaning: 'definitions by meaning',
  sameMeaning: 'same meaning',
  printedDifferently: 'printed differently',
  notCompared: 'not compared',
  nothingToVerify: 'nothing to verify',
  scratchDatabase: 'scratch database',
  sourceLocale: 'source locale',
  icuRules: 'ICU rules',
  pgDump: 'pg_dump',
  leftOut: 'left out',
  timedOut: 'timed out',
  inUse: 'in use',
  maxConnections: 'max connections',
  serverIsLocal: 'server on this machine',
  run_id: 'distributed run id',
  reference_is: 'reference is',
  smallest_adequate: 'smallest size as good as the best',
  core_limit: 'size limit from the server\'s cores',
  quick_size_cap: 'largest size tried in a quick run',
  server_cores_from: 'server cores known from',
  stopped_by: 'stopped by',
  zipf_skew: 'Zipf skew',
  ttl_s: 'TTL (s)',
  used_memory_human: 'used memory',
  shared: 'shared resources used',
};

const UNITS: Array<[string, string]> = [['_per_s', '/s'], ['_pct', '%'], ['_ms', 'ms'], ['_s', 's'], ['_mb', 'MB'], ['_bytes', 'bytes']];

/** A key's own words: snake_case and camelCase split, a unit suffix put in brackets. */
function spelledOut(key: string): string {
  let base = key;
  let unit = '';
  for (const [suffix, name] of UNITS) {
    if (base.toLowerCase().endsWith(suffix) && base.length > suffix.length) {
      base = base.slice(0, -suffix.length);
      unit = name;
      break;
    }
  }
  const words = base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return unit === '/s' ? `${words}/s` : unit ? `${words} (${unit})` : words;
}

/** The label to show for an info key. */
export function infoLabel(key: string): string {
  return Object.hasOwn(LABELS, key) ? LABELS[key]! : spelledOut(key);
}
