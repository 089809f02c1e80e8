import { describe, expect, it } from 'vitest';
import { classifyConnectFailure, connectErrorText } from '../../src/temporal/connect-failure.js';

/** Core's transport errors are Rust debug dumps that quote the address (as `NativeConnection.connect` throws them). */
function coreTransportError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TransportError' });
}

const refusedBy = (address: string) =>
  coreTransportError(`tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", ${address}, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))`);

// Host names and ports a user may well have, full of words and numbers that once read as a diagnosis.
const TRICKY_ADDRESSES = [
  'host401.tls-certificate.example:14013',
  '127.0.0.1:40317',
  '127.0.0.1:14031',
  'permission-denied.handshake.example:4403',
  'unauthenticated-status-401.example:7233',
  '[::1]:40301',
  // Words of the TLS libraries that the classification does look for: only the address may say them here.
  'alert-frame.unknownissuer.example:40317',
  'certificaterequired.notvalidforname.example:7233',
];

describe('a connection that never came up', () => {
  it.each(TRICKY_ADDRESSES)('to %s is retried as "connection refused", with TLS on or off', (address) => {
    for (const tls of [false, {}, { serverNameOverride: 'alert.certificate-required.example' }] as const) {
      expect(classifyConnectFailure(refusedBy(address), { address, tls })).toEqual({ reason: 'connection refused', retryable: true });
    }
  });

  it('whose host is not found is retried, whatever the host name says', () => {
    const address = 'status-403.tls.example:40317';
    const error = coreTransportError(
      `tonic::transport::Error(Transport, ConnectError(ConnectError("dns error", Custom { kind: Uncategorized, error: "failed to lookup address information: Name or service not known" })))`,
    );
    expect(classifyConnectFailure(error, { address, tls: {} }).retryable).toBe(true);
  });

  it('as grpc-js reports it (UNAVAILABLE) is retried', () => {
    const error = Object.assign(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:40317'), { code: 14 });
    expect(classifyConnectFailure(error, { address: '127.0.0.1:40317', tls: false }).retryable).toBe(true);
  });
});

describe('a server that answered "no"', () => {
  it('by gRPC status (grpc-js): UNAUTHENTICATED, PERMISSION_DENIED; not retried', () => {
    const unauthenticated = new Error('Failed to connect to Temporal server', { cause: Object.assign(new Error('16 UNAUTHENTICATED: Received HTTP status code 401'), { code: 16 }) });
    expect(classifyConnectFailure(unauthenticated, { address: 'a:1', tls: {} })).toEqual({ reason: 'the server requires authentication (UNAUTHENTICATED): give --api-key', retryable: false });
    expect(classifyConnectFailure(unauthenticated, { address: 'a:1', tls: {}, apiKey: 'k' }).reason).toBe('the API key was rejected (UNAUTHENTICATED)');
    const denied = Object.assign(new Error('7 PERMISSION_DENIED: nope'), { code: 7 });
    expect(classifyConnectFailure(denied, { address: 'a:1', tls: {} })).toMatchObject({ reason: /^permission denied/, retryable: false });
  });

  it("by core's words for a proxy's HTTP status, on an address full of 401s", () => {
    const address = 'localhost:40140';
    const answered = (status: string) =>
      coreTransportError(`Failed to call GetSystemInfo: code: 'Internal error', message: "protocol error: received message with invalid compression flag: 60 (valid flags are 0 and 1) while receiving response with status: ${status}"`);
    expect(classifyConnectFailure(answered('401 Unauthorized'), { address, tls: {} })).toMatchObject({ reason: /requires authentication/, retryable: false });
    expect(classifyConnectFailure(answered('403 Forbidden'), { address, tls: {} })).toMatchObject({ reason: /^permission denied/, retryable: false });
    expect(classifyConnectFailure(answered('400 Bad Request'), { address, tls: {} })).toMatchObject({ reason: /wants a client certificate/, retryable: false });
  });

  it("by tonic's description of the status code in core's text", () => {
    const error = coreTransportError(`Failed to call GetSystemInfo: code: 'The request does not have valid authentication credentials', message: "bad key"`);
    expect(classifyConnectFailure(error, { address: 'a:1', tls: {}, apiKey: 'k' }).reason).toBe('the API key was rejected (UNAUTHENTICATED)');
  });
});

describe('TLS handshake failures', () => {
  it('are told apart by the TLS library\'s words even when the host name says "connection refused"', () => {
    const address = 'connection-refused.example:7233';
    const untrusted = coreTransportError('tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))');
    expect(classifyConnectFailure(untrusted, { address, tls: {} })).toMatchObject({ reason: /not signed by a trusted CA/, retryable: false });
  });

  it('say how TLS came on for a plain-text server', () => {
    const plain = coreTransportError('tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidMessage(InvalidContentType) }))');
    const hint = 'an API key turns TLS on: set TEMPORAL_TLS=false to send it in plain text';
    expect(classifyConnectFailure(plain, { address: 'a:1', tls: {}, apiKey: 'k', tlsOffHint: hint }).reason).toBe(
      `TLS handshake failed: the server does not speak TLS here (plain-text server? ${hint})`,
    );
  });

  it('are not guessed from a host name when TLS is off', () => {
    const address = 'tls-handshake-failure.example:7233';
    expect(classifyConnectFailure(refusedBy(address), { address, tls: false })).toEqual({ reason: 'connection refused', retryable: true });
  });
});

describe('the text the classification reads', () => {
  it('has every part of the address and the server name taken out, and only whole tokens', () => {
    const text = connectErrorText(
      new Error('dial host401.tls-certificate.example:14013 (host401.tls-certificate.example, port 14013, 140130, sni alert.example)'),
      { address: 'host401.tls-certificate.example:14013', tls: { serverNameOverride: 'alert.example' } },
    );
    expect(text).toBe('dial <given> (<given>, port <given>, 140130, sni <given>)');
  });
});
