import { loadClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

/** PEM material as a profile gives it: a file's path, or the PEM text itself. */
export type ProfilePem = { path: string } | { data: string };

/** The connection options of one profile of the Temporal config file, as plain data. */
export interface ConfigProfile {
  address?: string;
  namespace?: string;
  apiKey?: string;
  grpcMeta?: Record<string, string>;
  tls?: {
    disabled?: boolean;
    serverName?: string;
    clientCert?: ProfilePem;
    clientKey?: ProfilePem;
    serverCACert?: ProfilePem;
  };
}

function pemOf(source: ConfigDataSource | undefined): ProfilePem | undefined {
  if (!source) return undefined;
  if ('path' in source) return { path: source.path };
  return { data: typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8') };
}

/**
 * Reads the profile `profileName` (undefined: "default") of the Temporal config file as the `temporal`
 * CLI does, with `variables` standing for the environment (TEMPORAL_CONFIG_FILE picks the file; the
 * process environment itself is not read). Throws what the SDK throws for an unreadable file.
 */
export function readConfigProfile(profileName: string | undefined, variables: Record<string, string>): ConfigProfile {
  const profile = loadClientConfigProfile({ profile: profileName, disableEnv: true, overrideEnvVars: variables });
  return {
    address: profile.address,
    namespace: profile.namespace,
    apiKey: profile.apiKey,
    grpcMeta: profile.grpcMeta ? { ...profile.grpcMeta } : undefined,
    tls: profile.tls
      ? {
          disabled: profile.tls.disabled,
          serverName: profile.tls.serverName,
          clientCert: pemOf(profile.tls.clientCert),
          clientKey: pemOf(profile.tls.clientKey),
          serverCACert: pemOf(profile.tls.serverCACert),
        }
      : undefined,
  };
}
