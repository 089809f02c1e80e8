import { firstLine } from '../errors.js';
import { grpcCodeOf } from './failure-kind.js';

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;

/** What the classification reads of the connection settings: which options were used, never secrets. */
export interface ConnectAttemptSettings {
  address: string;
  tls?: { serverNameOverride?: string } | false;
  apiKey?: string;
  /** What to tell someone whose TLS connection met a plain-text server: why TLS is on and how to turn it off. */
  tlsOffHint?: string;
}

export interface ConnectFailure {
  /** Why, in a person's words (no secrets). */
  reason: string;
  /** Not there (yet): worth another try. A server that answered with a refusal is not. */
  retryable: boolean;
}

/**
 * The gRPC status that core's connect errors carry only as text (`code: '<tonic's description>'`), by
 * the fixed descriptions tonic gives each code.
 */
const CORE_CODE_DESCRIPTIONS: Array<[RegExp, number]> = [
  [/code: 'The request does not have valid authentication credentials'/, GRPC_UNAUTHENTICATED],
  [/code: 'The caller does not have permission to execute the specified operation'/, GRPC_PERMISSION_DENIED],
  [/code: 'The service is currently unavailable'/, GRPC_UNAVAILABLE],
];

/** The parts of the address the user gave (address, host, port, TLS server name), longest first. */
function userGivenParts(settings: ConnectAttemptSettings): string[] {
  const parts = [settings.address];
  const match = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(settings.address);
  if (match) parts.push(match[1]!, match[1]!.replace(/^\[|\]$/g, ''), match[2]!);
  if (settings.tls && settings.tls.serverNameOverride) parts.push(settings.tls.serverNameOverride);
  return [...new Set(parts.filter((part) => part !== ''))].sort((a, b) => b.length - a.length);
}

/**
 * The error's text (its cause chain) with every occurrence of what the user typed taken out, so that
 * matching it can only ever see core's, grpc-js's and the OS's own words: a host named
 * `tls-certificate-401.example` or a port 40317 must not read as a TLS or an authentication failure.
 */
export function connectErrorText(error: unknown, settings: ConnectAttemptSettings): string {
  const messages: string[] = [];
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    messages.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  let text = messages.join(' | ');
  for (const part of userGivenParts(settings)) {
    const escaped = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Only whole host-name tokens: `7233` inside `172331` stays.
    text = text.replace(new RegExp(`(?<![A-Za-z0-9.-])${escaped}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi'), '<given>');
  }
  return text;
}

/** The gRPC status code: the error's own, else the one core names in its text. */
function statusCodeOf(error: unknown, text: string): number | undefined {
  const code = grpcCodeOf(error);
  if (code !== undefined) return code;
  return CORE_CODE_DESCRIPTIONS.find(([pattern]) => pattern.test(text))?.[1];
}

/** The HTTP status of a non-gRPC answer (a proxy's 400/401/403), as grpc-js and core phrase it. */
function httpStatusOf(text: string): number | undefined {
  const match = /(?:Received HTTP status code|response with status:) (\d{3})\b/.exec(text);
  return match ? Number(match[1]) : undefined;
}

const refusal = (reason: string): ConnectFailure => ({ reason, retryable: false });

/** TLS handshake failures, read from core's (rustls) and grpc-js's (OpenSSL) words; undefined when none. */
function tlsFailure(text: string, httpStatus: number | undefined, settings: ConnectAttemptSettings): ConnectFailure | undefined {
  if (/UnknownIssuer|unable to get local issuer|self[- ]signed|unable to verify|certificate verify failed|BadSignature/i.test(text)) {
    return refusal("TLS handshake failed: the server's certificate is not signed by a trusted CA (wrong or missing --tls-ca?)");
  }
  if (/NotValidForName|altnames|hostname mismatch|does not match|CertNotValidForName/i.test(text)) {
    return refusal("TLS handshake failed: the server's certificate is not valid for this name (set --tls-server-name?)");
  }
  if (/InvalidContentType|wrong version number|packet length too long|corrupt message|http2 error|frame with invalid size/i.test(text)) {
    return refusal(`TLS handshake failed: the server does not speak TLS here (plain-text server? ${settings.tlsOffHint ?? 'turn TLS off'})`);
  }
  if (httpStatus === 400 || /certificate required|CertificateRequired|handshake failure|alert/i.test(text)) {
    return refusal('TLS handshake failed: the server wants a client certificate (give --tls-cert and --tls-key) or rejected it');
  }
  return undefined;
}

/**
 * Why a connection attempt failed, in a person's words, and whether to try again. Decided by the gRPC
 * status and the error's type first; where only text exists (core's transport errors are Rust debug
 * dumps, grpc-js's OpenSSL's), by that text with the address taken out (see connectErrorText), and never
 * by bare numbers. Never includes secrets: the settings are only read for which options were used.
 */
export function classifyConnectFailure(error: unknown, settings: ConnectAttemptSettings): ConnectFailure {
  const text = connectErrorText(error, settings);
  const httpStatus = httpStatusOf(text);
  const code = statusCodeOf(error, text);
  if (code === GRPC_UNAUTHENTICATED || httpStatus === 401) {
    return refusal(settings.apiKey ? 'the API key was rejected (UNAUTHENTICATED)' : 'the server requires authentication (UNAUTHENTICATED): give --api-key');
  }
  if (code === GRPC_PERMISSION_DENIED || httpStatus === 403) {
    return refusal('permission denied (PERMISSION_DENIED): check the API key or certificate and its namespace access');
  }
  const tls = settings.tls !== false && settings.tls !== undefined;
  const handshake = tls ? tlsFailure(text, httpStatus, settings) : undefined;
  if (handshake) return handshake;
  const notThereYet =
    code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED ||
    /Connection refused|ConnectionRefused|ECONNREFUSED|tcp connect error|ConnectionReset|ECONNRESET|dns error|ENOTFOUND|EAI_AGAIN|Network is unreachable|NetworkUnreachable|HostUnreachable|No route to host/i.test(text);
  // "frame": sched-bench's own HTTP/2 client reading TLS bytes as HTTP/2 frames (FRAME_SIZE_ERROR).
  if (!tls && (httpStatus === 400 || /Broken pipe|connection reset|h2 protocol error|frame|operation was canceled|ERR_HTTP2_ERROR/i.test(text))) {
    return { reason: 'the connection was refused at the protocol level (a TLS-only server? add --tls)', retryable: notThereYet };
  }
  return { reason: plainReason(error, text), retryable: notThereYet };
}

/** The OS's or the resolver's words for a connection that never came up, else the error's first line. */
function plainReason(error: unknown, text: string): string {
  const osMessage = /message: "([^"]+)"/.exec(text)?.[1];
  if (osMessage) return osMessage.toLowerCase();
  if (/dns error|failed to lookup|ENOTFOUND|Name resolution/i.test(text)) return 'host name not found';
  if (/ECONNREFUSED|Connection refused/i.test(text)) return 'connection refused';
  return firstLine(error);
}
