import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyDir, runCli } from '../helpers/cli.js';
import { makeCertificates } from '../helpers/tls-proxy.js';

const certs = makeCertificates();
const dir = emptyDir();
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

/** A secret-looking marker put into the bad material: it must never be echoed. */
const SECRET = `s3cret-${Math.random().toString(36).slice(2)}`;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const pemBody = (path: string): string => readFileSync(path, 'utf8');
const brokenCertificate = `-----BEGIN CERTIFICATE-----\n${Buffer.from(`${SECRET} not DER`).toString('base64')}\n-----END CERTIFICATE-----\n`;

interface Case {
  args: () => string[];
  env?: () => Record<string, string>;
  says: () => RegExp;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Everything is checked before connecting: the address is a closed port, so a check that let the
// material through would end in a connection error (exit 1), not in these lines.
const cases: Record<string, Case> = {
  'an empty key file': {
    args: () => ['--tls-cert', certs.clientCert, '--tls-key', file('empty.key', '')],
    says: () => new RegExp(`the TLS client key ${escape(join(dir, 'empty.key'))} \\(--tls-key\\) is empty$`),
  },
  'a certificate file that is not PEM': {
    args: () => ['--tls-cert', file('junk.crt', `${SECRET}\n`), '--tls-key', certs.clientKey],
    says: () => new RegExp(`the TLS client certificate ${escape(join(dir, 'junk.crt'))} \\(--tls-cert\\) is not PEM`),
  },
  'a certificate given as the key': {
    args: () => ['--tls-cert', certs.clientCert, '--tls-key', certs.clientCert],
    says: () => /the TLS client key .*client\.crt \(--tls-key\) holds no private key/,
  },
  'a key given as the CA': {
    args: () => ['--tls-ca', certs.clientKey],
    says: () => /the TLS CA certificate .*client\.key \(--tls-ca\) holds no certificate/,
  },
  'a CA certificate that does not parse': {
    args: () => ['--tls-ca', file('broken-ca.crt', brokenCertificate)],
    says: () => /the TLS CA certificate .*broken-ca\.crt \(--tls-ca\) has a certificate that does not parse/,
  },
  'junk in TEMPORAL_TLS_CLIENT_KEY_DATA': {
    args: () => ['--tls-cert', certs.clientCert],
    env: () => ({ TEMPORAL_TLS_CLIENT_KEY_DATA: `${SECRET}-not-a-key` }),
    says: () => /the TLS client key in TEMPORAL_TLS_CLIENT_KEY_DATA is not PEM/,
  },
  'a broken certificate in TEMPORAL_TLS_SERVER_CA_CERT_DATA': {
    args: () => [],
    env: () => ({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: brokenCertificate }),
    says: () => /the TLS CA certificate in TEMPORAL_TLS_SERVER_CA_CERT_DATA has a certificate that does not parse/,
  },
  'a key that is not the certificate\'s': {
    args: () => ['--tls-cert', certs.clientCert, '--tls-key', certs.serverKey],
    says: () => /the TLS client key \(--tls-key\) does not belong to the client certificate \(--tls-cert\)/,
  },
  'a metadata value with a line break (environment)': {
    args: () => [],
    env: () => ({ TEMPORAL_GRPC_META_X_AUDIT: `a\n${SECRET}` }),
    says: () => /gRPC metadata "x-audit" \(--grpc-meta or TEMPORAL_GRPC_META_X_AUDIT\): the value must be printable ASCII/,
  },
  'a metadata value that is not ASCII (flag)': {
    args: () => ['--grpc-meta', `x-tenant=ümlaut-${SECRET}`],
    says: () => /gRPC metadata "x-tenant" .*: the value must be printable ASCII/,
  },
  'a metadata name reserved by gRPC': {
    args: () => ['--grpc-meta', 'grpc-timeout=1S'],
    says: () => /gRPC metadata "grpc-timeout" .*: names starting with "grpc-" are reserved by gRPC/,
  },
  'a binary metadata header': {
    args: () => ['--grpc-meta', `x-trace-bin=${SECRET}`],
    says: () => /gRPC metadata "x-trace-bin" .*: binary \("-bin"\) headers are not supported/,
  },
  'a header HTTP/2 sets itself': {
    args: () => ['--grpc-meta', 'content-type=text/plain'],
    says: () => /gRPC metadata "content-type" .*: this header is set by gRPC itself/,
  },
  'an API key with a line break': {
    args: () => [],
    env: () => ({ TEMPORAL_API_KEY: `${SECRET}\nmore` }),
    says: () => /the API key \(--api-key or TEMPORAL_API_KEY\) must be printable ASCII/,
  },
};

describe('invalid TLS material, API key or gRPC metadata: exit 2, one line naming the file or variable, no contents', () => {
  it.each(Object.entries(cases))('%s', async (_name, { args, env, says }) => {
    const result = await runCli(['run', '--address', '127.0.0.1:1', '--connect-timeout', '1', '--total', '1', ...args()], { env: env?.() ?? {} });
    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^sched-bench: /);
    expect(lines[0]).toMatch(says());
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain(pemBody(certs.clientKey).split('\n')[1]);
  });
});
