import { firstLine } from '../errors.js';
import { formatServerHealthEvent } from '../report/lines.js';
import type { AgentEvent } from '../run/agent-run.js';
import { exitCodeOf } from './exit-codes.js';
import type { CliIO } from './io.js';
import type { RunConfig } from './options.js';
import { agentSpecOf } from './run-specs.js';
import type { ShutdownSignals } from './signals.js';

/** One line per thing an operator watching an agent's log wants to know: ready, each slice's start and end. */
function formatAgentEvent(event: AgentEvent): string | undefined {
  switch (event.type) {
    case 'agent-ready':
      return `Agent ${event.name} polling ${event.controlTaskQueue} in ${event.namespace} at ${event.address} for load slices`;
    case 'slice-started': {
      const load = event.rate !== undefined ? `rate ${event.rate}/s, at most ${event.concurrency} in flight` : `concurrency ${event.concurrency}`;
      return `Slice ${event.index} (shard ${event.shard}) of run ${event.runId}: ${event.mode}, ${load}${event.total !== undefined ? `, ${event.total} workflows` : ''}`;
    }
    case 'slice-ended':
      return `Slice ${event.index} ${event.stopped ? 'stopped' : 'ended'}: launched ${event.counts.launched}, completed ${event.counts.completed}, failed ${event.counts.failed}`;
    case 'slice-failed':
      return `Slice ${event.index} failed: ${event.reason}`;
    case 'slice-event':
      if (event.event.type === 'failure') return undefined; // counted in the slice's result; one line per failure would flood the log
      if (event.event.type === 'server-health') return `Slice ${event.index}: ${formatServerHealthEvent(event.event.event)}`;
      return undefined;
  }
}

/**
 * `sched-bench agent`: polls the control task queue for load slices of `run|infinite --agents N` and runs
 * them against the cluster (its own connection settings) until SIGINT/SIGTERM; a running slice drains
 * and returns its result first. A second signal leaves at once (the coordinator then reports the agent lost).
 */
export async function runAgentCommand(config: RunConfig, io: CliIO, signals: ShutdownSignals): Promise<number> {
  const spec = agentSpecOf(config);
  const { runAgent } = await import('../run/agent-run.js');
  const stop = new AbortController();
  const detachSignals = signals.attach({
    graceful: () => {
      io.err('Received interrupt signal, stopping agent (a running slice drains first)...');
      stop.abort();
    },
    forced: () => {
      io.err('Agent stopped at once');
      process.exit(exitCodeOf({ kind: 'forced' }));
    },
  });
  try {
    await runAgent(spec, {
      signal: stop.signal,
      onEvent: (event) => {
        const line = formatAgentEvent(event);
        if (line) (event.type === 'slice-failed' || event.type === 'slice-event' ? io.err : io.out)(line);
      },
    });
    io.out(`Agent ${spec.name} stopped`);
    return exitCodeOf({ kind: 'done' });
  } catch (error) {
    io.err(`sched-bench: agent stopped on an error: ${firstLine(error)}`);
    return exitCodeOf({ kind: 'error', error });
  } finally {
    detachSignals();
  }
}
