import { describe, expect, it } from 'vitest';
import { resolveConfig, type ConfigSources } from '../../src/cli/config.js';
import { loadModelOf, loadSpecOf, schedulesSpecOf } from '../../src/cli/run-specs.js';
import { UsageError } from '../../src/errors.js';

const resolved = (command: 'run' | 'infinite' | 'schedules', flags: ConfigSources['flags'] = {}) => resolveConfig(command, { flags, env: {}, dotenv: {} });

describe('derived defaults, decided once in config resolution', () => {
  it('the load model: closed with 10 slots; open (--rate) caps in-flight at 1000; --concurrency wins either way', () => {
    expect(loadModelOf(resolved('run'))).toEqual({ kind: 'closed', concurrency: 10 });
    expect(loadModelOf(resolved('infinite', { rate: '50' }))).toEqual({ kind: 'open', concurrency: 1000, rate: 50 });
    expect(loadModelOf(resolved('infinite', { rate: '50', concurrency: '20' }))).toEqual({ kind: 'open', concurrency: 20, rate: 50 });
    expect(loadModelOf(resolved('run', { concurrency: '3' }))).toEqual({ kind: 'closed', concurrency: 3 });
  });

  it('eager start: on with the embedded worker on a native connection, off otherwise; the drain gives up on a stall unless timed', () => {
    expect(loadSpecOf('batch', resolved('run', { devServer: true }), {})).toMatchObject({ eagerStart: true, worker: {}, devServer: {} });
    expect(loadSpecOf('batch', resolved('run', { worker: true, connection: 'http2' }), {}).eagerStart).toBe(false);
    expect(loadSpecOf('batch', resolved('run'), {})).toMatchObject({ eagerStart: false, connection: { kind: 'http2' } });
    expect(loadSpecOf('batch', resolved('run'), {}).worker).toBeUndefined();
    expect(loadSpecOf('batch', resolved('run'), {}).drain).toEqual({ stallTimeout: 60, onStop: 'leave' });
    expect(loadSpecOf('batch', resolved('run', { drainTimeout: '5' }), {}).drain).toEqual({ timeout: 5, onStop: 'leave' });
  });

  it('refuses options that do not go together, with the option named', () => {
    expect(() => loadSpecOf('infinite', resolved('infinite', { rate: '0' }), {})).toThrow(new UsageError('--rate 0 makes sense only as the start of --stages'));
    expect(() => loadSpecOf('batch', resolved('run', { eagerStart: true }), {})).toThrow(/add --worker/);
  });

  it('schedules: no direct load unless --concurrency or --rate asks for one; a native connection unless told otherwise', () => {
    const plain = schedulesSpecOf(resolved('schedules', { duration: '10' }), {});
    expect(plain.directLoad).toBeUndefined();
    expect(plain.connection.kind).toBe('native');
    expect(plain.fire).toEqual({ kind: 'interval', everyMs: 1000 });
    const busy = schedulesSpecOf(resolved('schedules', { duration: '10', rate: '5', connection: 'http2' }), {});
    expect(busy.directLoad).toMatchObject({ loadModel: { kind: 'open', concurrency: 1000, rate: 5 }, wait: true });
    expect(busy.connection.kind).toBe('http2');
    expect(() => schedulesSpecOf(resolved('schedules'), {})).toThrow(/--duration or --fires/);
  });

  it("schedules: the EchoWorkflow's input takes --message and --count, else their defaults", () => {
    expect(schedulesSpecOf(resolved('schedules', { duration: '10' }), {}).input).toEqual({ message: 'Test scheduler', count: 1 });
    expect(schedulesSpecOf(resolved('schedules', { duration: '10', message: 'hi', count: '3' }), {}).input).toEqual({ message: 'hi', count: 3 });
  });
});
