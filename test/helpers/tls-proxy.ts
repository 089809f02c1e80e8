import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Certificates made for one test run: a CA, a server cert for localhost/127.0.0.1, a client cert, and a stranger CA. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting it instead of the real one must fail the handshake. */
  otherCaCert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'sched-bench-certs-'));
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const clientExt = join(dir, 'client.ext');
  writeFileSync(clientExt, 'extendedKeyUsage=clientAuth\n');
  for (const ca of ['ca', 'other-ca']) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=sched-bench test ${ca}`,
      '-keyout', `${ca}.key`, '-out', `${ca}.crt`], dir);
  }
  for (const [name, cn, extFile] of [['server', 'localhost', ext], ['client', 'sched-bench client', clientExt]] as const) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
      '-extfile', extFile, '-out', `${name}.crt`], dir);
  }
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    otherCaCert: join(dir, 'other-ca.crt'),
  };
}

/** What the TLS tests need from the machine (nginx and openssl); throws one line naming what is missing. */
export function tlsProxyTools(): string {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('the TLS tests need openssl (Debian: apt-get install openssl); .ci/run installs it');
  }
  return nginxBinary();
}

export function nginxBinary(): string {
  for (const candidate of [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new Error('the TLS tests need nginx (Debian: apt-get install nginx-light); .ci/run installs it');
}


async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TLS-terminating gRPC proxy (nginx grpc_pass) in front of the dev server, with three doors. */
export interface TlsProxy {
  certs: TestCertificates;
  /** TLS only. */
  tlsAddress: string;
  /** TLS with a required client certificate signed by the test CA. */
  mtlsAddress: string;
  /** TLS plus `authorization: Bearer <apiKey>` required, else HTTP 401 (UNAUTHENTICATED). */
  apiKeyAddress: string;
  apiKey: string;
  /** TLS plus the gRPC header `x-bench-tenant: acme` required, else HTTP 403 (PERMISSION_DENIED). */
  metaAddress: string;
  stop(): Promise<void>;
}

export async function startTlsProxy(upstream: string): Promise<TlsProxy> {
  const nginxPath = tlsProxyTools();
  const certs = makeCertificates();
  const dir = join(certs.dir, 'nginx');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const [tlsPort, mtlsPort, apiKeyPort, metaPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const apiKey = `test-key-${Math.random().toString(36).slice(2)}`;
  const tls = `ssl_certificate ${certs.serverCert}; ssl_certificate_key ${certs.serverKey};`;
  const pass = `grpc_pass grpc://${upstream}; grpc_read_timeout 300s; grpc_send_timeout 300s;`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${tlsPort} ssl http2; ${tls} location / { ${pass} } }
  server {
    listen 127.0.0.1:${mtlsPort} ssl http2; ${tls}
    ssl_client_certificate ${certs.caCert}; ssl_verify_client on;
    location / { ${pass} }
  }
  server {
    listen 127.0.0.1:${apiKeyPort} ssl http2; ${tls}
    location / {
      if ($http_authorization != "Bearer ${apiKey}") { return 401; }
      ${pass}
    }
  }
  server {
    listen 127.0.0.1:${metaPort} ssl http2; ${tls}
    location / {
      if ($http_x_bench_tenant != "acme") { return 403; }
      ${pass}
    }
  }
}
`,
  );
  const nginx: ChildProcess = spawn(nginxPath, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  nginx.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => nginx.on('close', () => resolve()));
  try {
    await Promise.race([
      Promise.all([waitForPort(tlsPort), waitForPort(mtlsPort), waitForPort(apiKeyPort), waitForPort(metaPort)]),
      exited.then(() => Promise.reject(new Error(`nginx exited: ${stderr}`))),
    ]);
  } catch (error) {
    nginx.kill('SIGKILL');
    throw error;
  }
  return {
    certs,
    tlsAddress: `localhost:${tlsPort}`,
    mtlsAddress: `localhost:${mtlsPort}`,
    apiKeyAddress: `localhost:${apiKeyPort}`,
    apiKey,
    metaAddress: `localhost:${metaPort}`,
    stop: async () => {
      nginx.kill('SIGTERM');
      await exited;
      rmSync(certs.dir, { recursive: true, force: true });
    },
  };
}
