import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { emptyDir, eventually, runCli, runIdOf, serverCounts, uniqueQueue } from '../helpers/cli.js';
import { startTlsProxy, tlsProxyTools, type TlsProxy } from '../helpers/tls-proxy.js';
import { gateOnTool } from '../helpers/tools.js';

const address = inject('temporalAddress');
const temporalCli = inject('temporalCli');
let proxy: TlsProxy;
/** Without nginx or openssl: skipped on a developer's machine (one line says why), failed under CI. */
const tools = gateOnTool(tlsProxyTools);

beforeAll(async () => {
  if (!tools.skip) proxy = await startTlsProxy(address);
});

afterAll(async () => {
  await proxy?.stop();
});

function expectOneErrorLine(result: { code: number | null; stderr: string; stdout: string }, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stdout).toBe('');
}

describe.skipIf(tools.skip)('TLS, mTLS and API keys through a real TLS-terminating gRPC proxy (nginx)', () => {
  it.each(['http2', 'native', 'grpc'])('runs a batch over TLS with the %s connection', async (connection) => {
    const result = await runCli([
      'run', '--connection', connection, '--address', proxy.tlsAddress, '--tls-ca', proxy.certs.caCert,
      '--task-queue', uniqueQueue(`tls-${connection}`), '--worker', '--total', '6',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const runId = runIdOf(result.stdout);
    await eventually(async () => expect(await serverCounts(temporalCli, address, runId)).toEqual({ Completed: 6 }));
  });

  it('runs over mTLS with the client certificate from TEMPORAL_TLS_* variables', async () => {
    const result = await runCli(['run', '--task-queue', uniqueQueue('mtls'), '--worker', '--total', '4'], {
      env: {
        TEMPORAL_ADDRESS: proxy.mtlsAddress,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: proxy.certs.caCert,
        TEMPORAL_TLS_CLIENT_CERT_PATH: proxy.certs.clientCert,
        // The key as PEM text rather than a path, as CI secrets usually come.
        TEMPORAL_TLS_CLIENT_KEY_DATA: readFileSync(proxy.certs.clientKey, 'utf8'),
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Batch scheduler completed\. Launched 4 workflows/);
  });

  it('`sched-bench worker` connects over mTLS too', async () => {
    const taskQueue = uniqueQueue('mtls-worker');
    const tlsFlags = ['--address', proxy.mtlsAddress, '--tls-ca', proxy.certs.caCert, '--tls-cert', proxy.certs.clientCert, '--tls-key', proxy.certs.clientKey];
    const { CliProcess } = await import('../helpers/cli.js');
    const worker = new CliProcess(['worker', ...tlsFlags, '--task-queue', taskQueue]);
    await worker.waitFor(/^Worker started/);
    const result = await runCli(['run', ...tlsFlags, '--task-queue', taskQueue, '--total', '3']);
    expect(result.code, result.stderr).toBe(0);
    worker.signal('SIGTERM');
    expect((await worker.exited).stdout).toMatch(/Activities executed: 3/);
  });

  it('reads address, API key and CA from a TOML profile (TEMPORAL_CONFIG_FILE + --profile)', async () => {
    const dir = emptyDir();
    const configFile = join(dir, 'temporal.toml');
    writeFileSync(
      configFile,
      `[profile.bench]\naddress = "${proxy.apiKeyAddress}"\napi_key = "${proxy.apiKey}"\n[profile.bench.tls]\nserver_ca_cert_path = "${proxy.certs.caCert}"\n`,
    );
    const result = await runCli(['run', '--profile', 'bench', '--task-queue', uniqueQueue('profile'), '--worker', '--total', '3'], {
      env: { TEMPORAL_CONFIG_FILE: configFile },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`address=${proxy.apiKeyAddress}`);
  });

  it.each([
    ['--grpc-meta', (tenant: string) => ({ args: ['--grpc-meta', `x-bench-tenant=${tenant}`], env: {} })],
    ['TEMPORAL_GRPC_META_X_BENCH_TENANT', (tenant: string) => ({ args: [], env: { TEMPORAL_GRPC_META_X_BENCH_TENANT: tenant } })],
  ])('sends gRPC metadata from %s; a proxy that refuses it gives PERMISSION_DENIED', async (_source, given) => {
    const common = ['run', '--address', proxy.metaAddress, '--tls-ca', proxy.certs.caCert, '--task-queue', uniqueQueue('meta'), '--total', '2'];
    const accepted = given('acme');
    const ok = await runCli([...common, '--worker', ...accepted.args], { env: accepted.env });
    expect(ok.code, ok.stderr).toBe(0);
    const refused = given('umbrella');
    const denied = await runCli([...common, ...refused.args], { env: refused.env });
    expectOneErrorLine(denied, 1, /^sched-bench: cannot reach Temporal at .*: permission denied \(PERMISSION_DENIED\)/);
  });

  it('a flag beats the profile: --address overrides the profile address', async () => {
    const configFile = join(emptyDir(), 'temporal.toml');
    writeFileSync(configFile, `[profile.default]\naddress = "127.0.0.1:1"\n`);
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('override'), '--worker', '--total', '2'], {
      env: { TEMPORAL_CONFIG_FILE: configFile },
    });
    expect(result.code, result.stderr).toBe(0);
  });

  const failures: Array<[string, () => string[], number, RegExp]> = [
    ['a missing API key', () => ['--address', proxy.apiKeyAddress, '--tls-ca', proxy.certs.caCert], 1, /requires authentication \(UNAUTHENTICATED\): give --api-key/],
    ['a wrong API key', () => ['--address', proxy.apiKeyAddress, '--tls-ca', proxy.certs.caCert, '--api-key', 'wrong-key-value'], 1, /the API key was rejected \(UNAUTHENTICATED\)/],
    ['mTLS without a client certificate', () => ['--address', proxy.mtlsAddress, '--tls-ca', proxy.certs.caCert], 1, /server wants a client certificate/],
    ['an untrusted server certificate', () => ['--address', proxy.tlsAddress, '--tls-ca', proxy.certs.otherCaCert], 1, /not signed by a trusted CA \(wrong or missing --tls-ca\?\)/],
    ['a server name the certificate does not cover', () => ['--address', proxy.tlsAddress, '--tls-ca', proxy.certs.caCert, '--tls-server-name', 'elsewhere.example'], 1, /not valid for this name \(set --tls-server-name\?\)/],
    ['TLS to a plain-text server', () => ['--address', address, '--tls'], 1, /does not speak TLS here \(plain-text server\? drop --tls, or set TEMPORAL_TLS=false\)/],
    // The user never gave --tls: the API key turned TLS on, and the line says so and how to turn it off.
    ['an API key to a plain-text server', () => ['--address', address, '--api-key', 'wrong-key-value'], 1,
      /does not speak TLS here \(plain-text server\? an API key turns TLS on: set TEMPORAL_TLS=false to send it in plain text\)/],
    ['a CA file to a plain-text server', () => ['--address', address, '--tls-ca', proxy.certs.caCert], 1,
      /does not speak TLS here \(plain-text server\? the TLS options .* turn TLS on: drop them, or set TEMPORAL_TLS=false\)/],
    ['plain text to a TLS server', () => ['--address', proxy.tlsAddress], 1, /a TLS-only server\? add --tls/],
    ['a missing certificate file', () => ['--address', proxy.mtlsAddress, '--tls-cert', '/nonexistent/client.crt', '--tls-key', proxy.certs.clientKey], 2, /cannot read the TLS client certificate \/nonexistent\/client\.crt \(--tls-cert\): no such file/],
    ['a certificate without its key', () => ['--address', proxy.mtlsAddress, '--tls-cert', proxy.certs.clientCert], 2, /mTLS needs both --tls-cert and --tls-key/],
    ['an unknown profile', () => ['--profile', 'nope'], 2, /Profile 'nope' not found/],
  ];

  it.each(failures)('%s: one line, documented exit code', async (_name, args, code, pattern) => {
    const result = await runCli(['run', '--total', '1', ...args()], { env: { HOME: emptyDir() } });
    expectOneErrorLine(result, code, new RegExp(`^sched-bench: .*${pattern.source}`));
    expect(result.stderr).not.toContain('wrong-key-value');
  });
});

describe.skipIf(tools.skip)('an API key with TLS turned off (TEMPORAL_TLS=false)', () => {
  it('works against a plain-text server, with one warning line that the key goes in plain text (and not the key)', async () => {
    const apiKey = `plain-key-${Math.random().toString(36).slice(2)}`;
    const result = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('plain-key'), '--worker', '--total', '1'], {
      env: { TEMPORAL_API_KEY: apiKey, TEMPORAL_TLS: 'false' },
    });
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split('\n').filter((line) => /warning/i.test(line));
    expect(warnings).toEqual(['sched-bench: warning: TLS is off (TEMPORAL_TLS=false), so the API key is sent in plain text']);
    expect(result.stdout + result.stderr).not.toContain(apiKey);
  });

  it('no warning without an API key, or with TLS on', async () => {
    const plain = await runCli(['run', '--address', address, '--task-queue', uniqueQueue('no-key'), '--worker', '--total', '1'], { env: { TEMPORAL_TLS: 'false' } });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(/warning/i);
    const tls = await runCli(['run', '--address', proxy.apiKeyAddress, '--tls-ca', proxy.certs.caCert, '--api-key', proxy.apiKey,
      '--task-queue', uniqueQueue('tls-key'), '--worker', '--total', '1']);
    expect(tls.code, tls.stderr).toBe(0);
    expect(tls.stderr).not.toMatch(/warning/i);
  });
});

describe.skipIf(tools.skip)('secrets never leak', () => {
  it('keeps the API key, gRPC metadata values and key contents out of every output', async () => {
    const dir = emptyDir();
    const secretHeader = `header-secret-${Math.random().toString(36).slice(2)}`;
    const keyPem = readFileSync(proxy.certs.clientKey, 'utf8');
    const keyLine = keyPem.split('\n')[1]!; // a line of the base64 body
    const env = { TEMPORAL_TLS_CLIENT_KEY_DATA: keyPem, TEMPORAL_GRPC_META_X_AUDIT: secretHeader };
    const common = ['--address', proxy.apiKeyAddress, '--tls-ca', proxy.certs.caCert, '--tls-cert', proxy.certs.clientCert];
    const good = await runCli(
      ['run', ...common, '--api-key', proxy.apiKey, '--grpc-meta', `x-other=${secretHeader}`, '--task-queue', uniqueQueue('secrets'),
        '--worker', '--total', '3', '--report-interval', '0.2', '--json', join(dir, 'r.json'), '--ndjson', join(dir, 'r.ndjson'), '--verify'],
      { env },
    );
    expect(good.code, good.stderr).toBe(0);
    const bad = await runCli(['run', ...common, '--api-key', `${proxy.apiKey}-wrong`, '--total', '1'], { env });
    expect(bad.code).toBe(1);
    const badValue = await runCli(['run', '--api-key', ' ', '--grpc-meta', `=${secretHeader}`], { env });
    expect(badValue.code).toBe(2);
    const help = await runCli(['run', '--help'], { env: { ...env, TEMPORAL_API_KEY: proxy.apiKey } });
    const json = readFileSync(join(dir, 'r.json'), 'utf8');
    expect(JSON.parse(json).config).toMatchObject({ apiKey: '[redacted]', grpcMeta: { 'x-audit': '[redacted]', 'x-other': '[redacted]' } });
    const outputs = { good: good.stdout + good.stderr, bad: bad.stdout + bad.stderr, badValue: badValue.stdout + badValue.stderr, help: help.stdout, json, ndjson: readFileSync(join(dir, 'r.ndjson'), 'utf8') };
    for (const [name, text] of Object.entries(outputs)) {
      for (const secret of [proxy.apiKey, secretHeader, keyLine]) expect(text.includes(secret), `${name} shows a secret`).toBe(false);
    }
  });
});
