/** TLS as the SDK takes it (PEM contents, not paths). */
export interface TlsSettings {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** How to reach the cluster: the same settings drive the native and the grpc-js connection. */
export interface ConnectionSettings {
  /** host:port of the Temporal frontend. */
  address: string;
  /** false: plain text; an object (possibly empty): TLS. */
  tls?: TlsSettings | false;
  apiKey?: string;
  /** gRPC metadata sent with every request. */
  metadata?: Record<string, string>;
  /**
   * http2: sched-bench's own gRPC and HTTP/2 client (src/temporal/wire) for starts and result waits (default; the SDK
   * is loaded only for what needs it: workers, schedules, cleanup); native: the SDK's Rust-core
   * NativeConnection; grpc: the SDK's grpc-js Connection.
   */
  kind?: 'http2' | 'native' | 'grpc';
  /** Request compression: none (when unset) or gzip. */
  compression?: 'gzip' | 'none';
  /** For a TLS connection that meets a plain-text server: why TLS is on and how to turn it off (e.g. "drop --tls"). */
  tlsOffHint?: string;
}
