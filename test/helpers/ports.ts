import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The first port of the OS's ephemeral range. Ports handed out by `listen(0)` come from that range,
 * and so do the local ports of every outgoing connection (the tests open many), so a port probed free
 * there can be taken by a connection before the process under test binds it. Picking below the range
 * leaves only other probes to race with.
 */
function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 11_000) return first;
  } catch {
    // not Linux: Linux's default start, below the IANA dynamic range (49152) that other systems use
  }
  return 32_768;
}

const LOWEST = 10_000;
const HIGHEST = ephemeralRangeStart() - 2; // room for the pair's second port

/** Whether nothing listens on `port`, on any interface (sched-bench and the SDK bind 0.0.0.0 or 127.0.0.1). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

function randomPort(): number {
  return LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST));
}

/** A port nothing listens on right now, below the ephemeral range (see above). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = randomPort();
    if (await isFree(port)) return port;
  }
}

/** Two free ports in a row (sched-bench's metrics and the SDK's on the next one); the first is returned. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = randomPort();
    if ((await isFree(port)) && (await isFree(port + 1))) return port;
  }
}
