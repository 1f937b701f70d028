// Test helper: a private PostgreSQL with ssl=on and a server certificate from a private CA (made with openssl), for
// "localhost" only (127.0.0.1 is not among its names), a second CA that did not sign it, and roles the server's
// pg_hba.conf lets in over TLS only (tls_only) or plain only (plain_only); postgres either way.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPrivateServer, type PrivateServer } from './health-server.js';

export interface TlsServer {
  server: PrivateServer;
  /** A 0755 directory of the certificates; files of a test may go here too (removed by stop()). */
  dir: string;
  /** The CA that signed the server's certificate, and one that did not. */
  ca: string;
  otherCa: string;
  stop(): Promise<void>;
}

function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=stackprobe test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  openssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=stackprobe other CA', '-keyout', 'other.key', '-out', 'other.crt');
  openssl('req', ...ec, '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.crt');
  const owner = process.getuid?.() === 0 ? 65534 : undefined;
  for (const f of ['server.key', 'server.crt', 'pg_hba.conf']) if (owner !== undefined) chownSync(path.join(dir, f), owner, owner);
  chmodSync(path.join(dir, 'server.key'), 0o600);
}

/** `hba`: more pg_hba.conf lines, read before the final `host all all … trust`; `sql`: run once the roles exist. */
export async function startTlsServer(opts: { hba?: string[]; sql?: string } = {}): Promise<TlsServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-tls-'));
  try {
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, 'pg_hba.conf'), [
      'hostssl all tls_only 127.0.0.1/32 trust',
      'hostnossl all tls_only 127.0.0.1/32 reject',
      'hostnossl all plain_only 127.0.0.1/32 trust',
      'hostssl all plain_only 127.0.0.1/32 reject',
      ...(opts.hba ?? []),
      'host all all 127.0.0.1/32 trust',
    ].join('\n'));
    makeCertificates(dir);
    const server = await startPrivateServer({ ssl: 'on', ssl_cert_file: path.join(dir, 'server.crt'), ssl_key_file: path.join(dir, 'server.key'), hba_file: path.join(dir, 'pg_hba.conf') });
    await server.sql('CREATE ROLE tls_only LOGIN SUPERUSER; CREATE ROLE plain_only LOGIN SUPERUSER');
    if (opts.sql) await server.sql(opts.sql);
    return {
      server, dir, ca: path.join(dir, 'ca.crt'), otherCa: path.join(dir, 'other.crt'),
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
