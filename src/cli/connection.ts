import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileErrorReason, firstLine, UsageError } from '../errors.js';
import { readConfigProfile, type ProfilePem } from '../temporal/config-profile.js';
import type { ConnectionSettings } from '../temporal/connection-settings.js';
import type { Environment } from './config.js';
import type { ConnectionKind, PemSource, RunConfig } from './options.js';

/** A PEM source with where it came from when that is not the option's own flag or variable (a profile). */
type NamedPemSource = PemSource & { origin?: string };

function pemSource(source: ProfilePem | undefined, profileKey: string): NamedPemSource | undefined {
  if (!source) return undefined;
  if ('path' in source) return { path: source.path, origin: `the profile's ${profileKey}_path` };
  return { data: source.data, origin: `the profile's ${profileKey}_data` };
}

/**
 * The connection options of the selected profile of the Temporal config file, as the `temporal` CLI
 * reads it (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile from --profile,
 * TEMPORAL_PROFILE, else "default"). Environment variables are applied by sched-bench itself, above
 * the profile. An absent default file is no error; an absent TEMPORAL_CONFIG_FILE is.
 */
export function loadProfileDefaults(profileName: string | undefined, env: Environment, dotenv: Environment): Partial<RunConfig> {
  const variables: Record<string, string> = {};
  // An empty variable counts as unset, as for every option (an empty TEMPORAL_PROFILE would name profile "").
  for (const source of [dotenv, env]) {
    for (const [name, value] of Object.entries(source)) if (value !== undefined && value.trim() !== '') variables[name] = value;
  }
  const configFile = variables.TEMPORAL_CONFIG_FILE;
  if (configFile && !existsSync(configFile)) throw new UsageError(`TEMPORAL_CONFIG_FILE=${configFile} does not exist`);
  let profile;
  try {
    profile = readConfigProfile(profileName, variables);
  } catch (error) {
    const where = configFile ?? 'the Temporal config file';
    throw new UsageError(`cannot use ${where}: ${firstLine(error)}`);
  }
  const defaults: Partial<RunConfig> = {};
  if (profile.address) defaults.address = profile.address;
  if (profile.namespace) defaults.namespace = profile.namespace;
  if (profile.apiKey) defaults.apiKey = profile.apiKey;
  if (profile.grpcMeta) defaults.grpcMeta = { ...profile.grpcMeta };
  if (profile.tls) {
    defaults.tls = profile.tls.disabled !== true;
    if (profile.tls.serverName) defaults.tlsServerName = profile.tls.serverName;
    defaults.tlsCert = pemSource(profile.tls.clientCert, 'client_cert');
    defaults.tlsKey = pemSource(profile.tls.clientKey, 'client_key');
    defaults.tlsCa = pemSource(profile.tls.serverCACert, 'server_ca_cert');
  }
  return defaults;
}

interface PemOption {
  /** What it is, e.g. "TLS client key". */
  what: string;
  flag: string;
  /** The variable holding its PEM text. */
  dataVariable: string;
  holds: 'certificate' | 'private key';
}

const CLIENT_CERT: PemOption = { what: 'TLS client certificate', flag: '--tls-cert', dataVariable: 'TEMPORAL_TLS_CLIENT_CERT_DATA', holds: 'certificate' };
const CLIENT_KEY: PemOption = { what: 'TLS client key', flag: '--tls-key', dataVariable: 'TEMPORAL_TLS_CLIENT_KEY_DATA', holds: 'private key' };
const SERVER_CA: PemOption = { what: 'TLS CA certificate', flag: '--tls-ca', dataVariable: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', holds: 'certificate' };

/** The PEM blocks of a text with their labels (`CERTIFICATE`, `PRIVATE KEY`, `RSA PRIVATE KEY`, …). */
function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((match) => ({ label: match[1]!, pem: match[0] }));
}

/**
 * Checks that PEM material holds what its option needs and that it parses, so that a wrong file is a
 * usage error naming it rather than a transport error from the SDK's core. Never shows the contents.
 */
function checkPem(pem: Buffer, option: PemOption, where: string): void {
  const text = pem.toString('utf8');
  const fail = (problem: string): never => {
    throw new UsageError(`${where} ${problem}`);
  };
  if (text.trim() === '') fail('is empty');
  if (!text.includes('-----BEGIN ')) fail(`is not PEM (no "-----BEGIN" line): give the ${option.what} in PEM form`);
  const blocks = pemBlocks(text);
  if (option.holds === 'certificate') {
    const certificates = blocks.filter((block) => block.label === 'CERTIFICATE');
    if (certificates.length === 0) fail('holds no certificate (no complete "-----BEGIN CERTIFICATE-----" block)');
    certificates.forEach((block, index) => {
      try {
        new X509Certificate(block.pem);
      } catch {
        fail(`has a certificate that does not parse (block ${index + 1})`);
      }
    });
    return;
  }
  const keys = blocks.filter((block) => block.label.endsWith('PRIVATE KEY'));
  if (keys.length === 0) fail('holds no private key (no complete "-----BEGIN … PRIVATE KEY-----" block)');
  if (keys[0]!.label === 'ENCRYPTED PRIVATE KEY') fail('is encrypted: give the key without a passphrase');
  try {
    createPrivateKey(keys[0]!.pem);
  } catch {
    fail('has a private key that does not parse');
  }
}

/** Reads and checks one PEM option (exit 2 naming the file or the variable when unreadable or wrong). */
function readPem(source: NamedPemSource | undefined, option: PemOption): Buffer | undefined {
  if (!source) return undefined;
  let pem: Buffer;
  let where: string;
  if ('data' in source) {
    pem = Buffer.from(source.data);
    where = `the ${option.what} in ${source.origin ?? option.dataVariable}`;
  } else {
    where = `the ${option.what} ${source.path} (${source.origin ?? option.flag})`;
    try {
      pem = readFileSync(source.path);
    } catch (error) {
      throw new UsageError(`cannot read ${where}: ${fileErrorReason(error)}`);
    }
  }
  checkPem(pem, option, where);
  return pem;
}

/** A client certificate and key that do not belong together fail every handshake: say so before trying. */
function checkKeyPair(crt: Buffer, key: Buffer): void {
  const certificate = pemBlocks(crt.toString('utf8')).find((block) => block.label === 'CERTIFICATE');
  const privateKey = pemBlocks(key.toString('utf8')).find((block) => block.label.endsWith('PRIVATE KEY'));
  if (certificate && privateKey && !new X509Certificate(certificate.pem).checkPrivateKey(createPrivateKey(privateKey.pem))) {
    throw new UsageError('the TLS client key (--tls-key) does not belong to the client certificate (--tls-cert)');
  }
}

/** Header names gRPC or HTTP/2 set themselves, or forbid: a user value would break every call. */
const RESERVED_HEADERS = new Set(['content-type', 'te', 'host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** What a gRPC ASCII header value may hold: printable ASCII, spaces included. */
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/** gRPC metadata the connection can send, else a usage error naming the header (never its value: it may be a secret). */
function checkMetadata(metadata: Record<string, string>): void {
  for (const [key, value] of Object.entries(metadata)) {
    const where = `gRPC metadata "${key}" (--grpc-meta or TEMPORAL_GRPC_META_${key.toUpperCase().replace(/[-.]/g, '_')})`;
    if (!/^[a-z0-9_.-]+$/.test(key)) throw new UsageError(`${where}: a header name holds only lower-case letters, digits, "-", "_" and "."`);
    if (key.startsWith('grpc-')) throw new UsageError(`${where}: names starting with "grpc-" are reserved by gRPC`);
    if (key.endsWith('-bin')) throw new UsageError(`${where}: binary ("-bin") headers are not supported`);
    if (RESERVED_HEADERS.has(key)) throw new UsageError(`${where}: this header is set by gRPC itself`);
    if (!HEADER_VALUE.test(value)) {
      throw new UsageError(`${where}: the value must be printable ASCII (no line breaks, control or non-ASCII characters)`);
    }
  }
}

function checkApiKey(apiKey: string | undefined): void {
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey.trim())) {
    throw new UsageError('the API key (--api-key or TEMPORAL_API_KEY) must be printable ASCII without spaces or line breaks');
  }
}

/** How TLS came to be on, and how to turn it off, for a TLS connection that meets a plain-text server. */
function tlsOffHint(config: RunConfig): string {
  if (config.tls === true) return 'drop --tls, or set TEMPORAL_TLS=false';
  if (config.apiKey !== undefined) return 'an API key turns TLS on: set TEMPORAL_TLS=false to send it in plain text';
  return 'the TLS options --tls-ca, --tls-cert, --tls-key and --tls-server-name turn TLS on: drop them, or set TEMPORAL_TLS=false';
}

/**
 * Warnings about the cluster connection, one line each, for commands that connect to it (not with a
 * dev server): an API key with TLS turned off goes over the network in plain text.
 */
export function connectionWarnings(config: RunConfig): string[] {
  if (config.devServer || config.apiKey === undefined || config.tls !== false) return [];
  return ['sched-bench: warning: TLS is off (TEMPORAL_TLS=false), so the API key is sent in plain text'];
}

/**
 * The client's connection kind: as given, else sched-bench's own HTTP/2 client, except beside an
 * embedded worker, whose native connection the client then shares (eager start needs that), and with
 * --metrics-port, whose SDK endpoint reports the SDK connection's requests.
 */
export function connectionKindOf(config: RunConfig): ConnectionKind {
  return config.connection ?? (config.worker || config.devServer || config.metricsPort !== undefined ? 'native' : 'http2');
}

/**
 * The connection kind of the commands that work through the SDK's clients (schedules, cleanup's
 * listing): as given, else native; one connection then serves those clients and any direct load.
 */
export function sdkConnectionKindOf(config: RunConfig): ConnectionKind {
  return config.connection ?? 'native';
}

/** Turns the resolved options into what TemporalService connects with; reads the PEM files (exit 2 when unreadable). */
export function connectionSettings(config: RunConfig): ConnectionSettings & { connectTimeoutMs: number } {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new UsageError('mTLS needs both --tls-cert and --tls-key (or their TEMPORAL_TLS_CLIENT_* variables)');
  }
  const anyTlsSetting = [config.tlsCert, config.tlsKey, config.tlsCa, config.tlsServerName, config.apiKey].some((value) => value !== undefined);
  const tlsOn = config.tls ?? anyTlsSetting;
  const crt = readPem(config.tlsCert, CLIENT_CERT);
  const key = readPem(config.tlsKey, CLIENT_KEY);
  const ca = readPem(config.tlsCa, SERVER_CA);
  if (crt && key) checkKeyPair(crt, key);
  checkApiKey(config.apiKey);
  checkMetadata(config.grpcMeta);
  return {
    address: config.address,
    kind: connectionKindOf(config),
    compression: config.grpcCompression,
    connectTimeoutMs: config.connectTimeout * 1000,
    apiKey: config.apiKey?.trim(), // a line break at the end (a key read from a file) is no part of it
    metadata: config.grpcMeta,
    ...(tlsOn ? { tlsOffHint: tlsOffHint(config) } : {}),
    tls: tlsOn
      ? {
          ...(config.tlsServerName ? { serverNameOverride: config.tlsServerName } : {}),
          ...(ca ? { serverRootCACertificate: ca } : {}),
          ...(crt && key ? { clientCertPair: { crt, key } } : {}),
        }
      : false,
  };
}
