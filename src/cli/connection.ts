import { existsSync, readFileSync } from 'node:fs';
import { loadClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { fileErrorReason, firstLine, UsageError } from '../errors.js';
import type { ConnectionSettings } from '../temporal/temporal-service.js';
import type { Environment } from './config.js';
import type { PemSource, RunConfig } from './options.js';

function pemSource(source: ConfigDataSource | undefined): PemSource | undefined {
  if (!source) return undefined;
  if ('path' in source) return { path: source.path };
  return { data: typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8') };
}

/**
 * The connection options of the selected profile of the Temporal config file, as the `temporal` CLI
 * reads it (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile from --profile,
 * TEMPORAL_PROFILE, else "default"). Environment variables are applied by sched-bench itself, above
 * the profile. An absent default file is no error; an absent TEMPORAL_CONFIG_FILE is.
 */
export function loadProfileDefaults(profileName: string | undefined, env: Environment, dotenv: Environment): Partial<RunConfig> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...dotenv, ...env })) if (value !== undefined) variables[name] = value;
  const configFile = variables.TEMPORAL_CONFIG_FILE;
  if (configFile && !existsSync(configFile)) throw new UsageError(`TEMPORAL_CONFIG_FILE=${configFile} does not exist`);
  let profile;
  try {
    profile = loadClientConfigProfile({ profile: profileName, disableEnv: true, overrideEnvVars: variables });
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
    defaults.tlsCert = pemSource(profile.tls.clientCert);
    defaults.tlsKey = pemSource(profile.tls.clientKey);
    defaults.tlsCa = pemSource(profile.tls.serverCACert);
  }
  return defaults;
}

function readPem(source: PemSource | undefined, what: string, flag: string): Buffer | undefined {
  if (!source) return undefined;
  if ('data' in source) return Buffer.from(source.data);
  try {
    return readFileSync(source.path);
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${source.path} (${flag}): ${fileErrorReason(error)}`);
  }
}

/**
 * What to connect to: a private dev server (plain text on loopback: the cluster's TLS and credentials
 * do not apply) when its address is given, else the configured cluster.
 */
export function settingsFor(config: RunConfig, devServerAddress: string | undefined): ConnectionSettings & { connectTimeoutMs: number } {
  const connectTimeoutMs = config.connectTimeout * 1000;
  return devServerAddress
    ? { address: devServerAddress, kind: config.connection, compression: config.grpcCompression, connectTimeoutMs }
    : connectionSettings(config);
}

/** Turns the resolved options into what TemporalService connects with; reads the PEM files (exit 2 when unreadable). */
export function connectionSettings(config: RunConfig): ConnectionSettings & { connectTimeoutMs: number } {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new UsageError('mTLS needs both --tls-cert and --tls-key (or their TEMPORAL_TLS_CLIENT_* variables)');
  }
  const anyTlsSetting = [config.tlsCert, config.tlsKey, config.tlsCa, config.tlsServerName, config.apiKey].some((value) => value !== undefined);
  const tlsOn = config.tls ?? anyTlsSetting;
  const crt = readPem(config.tlsCert, 'TLS client certificate', '--tls-cert');
  const key = readPem(config.tlsKey, 'TLS client key', '--tls-key');
  const ca = readPem(config.tlsCa, 'TLS CA certificate', '--tls-ca');
  return {
    address: config.address,
    kind: config.connection,
    compression: config.grpcCompression,
    connectTimeoutMs: config.connectTimeout * 1000,
    apiKey: config.apiKey,
    metadata: config.grpcMeta,
    tls: tlsOn
      ? {
          ...(config.tlsServerName ? { serverNameOverride: config.tlsServerName } : {}),
          ...(ca ? { serverRootCACertificate: ca } : {}),
          ...(crt && key ? { clientCertPair: { crt, key } } : {}),
        }
      : false,
  };
}
