import { readFileSync } from 'node:fs';
import { fileErrorReason, UsageError } from '../errors.js';
import type { Workload } from '../scheduler/types.js';
import type { RunConfig } from './options.js';

/** The message padded with "." to `size` bytes (UTF-8); a longer message is kept as it is. */
export function padMessage(message: string, size: number | undefined): string {
  if (size === undefined) return message;
  const bytes = Buffer.byteLength(message);
  return bytes >= size ? message : message + '.'.repeat(size - bytes);
}

function readInputFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --input-file ${path}: ${fileErrorReason(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--input-file ${path} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * What each launch starts, from the options, with the combinations that make no sense refused:
 * EchoWorkflow shaping with another workflow type, inputs without one, or an embedded worker for a
 * type it does not host.
 */
export function workloadOf(config: RunConfig): Workload {
  const { workflowType } = config;
  if (workflowType === undefined) {
    if (config.input !== undefined || config.inputFile !== undefined) {
      throw new UsageError('--input and --input-file need --workflow-type (the EchoWorkflow takes --message, --count, --payload-size)');
    }
    return {
      kind: 'echo',
      message: padMessage(config.message, config.payloadSize),
      count: config.count,
      ...(config.activityDelay > 0 ? { activityDelayMs: config.activityDelay } : {}),
      ...(config.localActivities ? { localActivities: true } : {}),
    };
  }
  const echoOnly = [
    ['--payload-size', config.payloadSize !== undefined],
    ['--activity-delay', config.activityDelay > 0],
    ['--local-activities', config.localActivities],
    ['--worker', config.worker],
    ['--dev-server', config.devServer],
  ].filter(([, used]) => used).map(([flag]) => flag);
  if (echoOnly.length > 0) {
    throw new UsageError(`${echoOnly.join(', ')} ${echoOnly.length > 1 ? 'apply' : 'applies'} to the built-in EchoWorkflow only, not to --workflow-type ${workflowType} (run your own workers for it)`);
  }
  const args = [...(config.input ?? []), ...(config.inputFile !== undefined ? [readInputFile(config.inputFile)] : [])];
  return { kind: 'custom', workflowType, args };
}
