import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { workerTuningOf } from '../../src/cli/worker-tuning.js';
import { formatWorkerSettings } from '../../src/report/lines.js';

const none = { flags: {}, env: {}, dotenv: {} };

describe('the worker settings of a config', () => {
  it('leaves the SDK defaults alone unless an option is given', () => {
    const config = resolveConfig('worker', none);
    expect(workerTuningOf(config, { HOME: '/home/u' })).toEqual({
      instances: 1, workflowSlots: undefined, activitySlots: undefined, pollers: undefined, stickyCacheSize: undefined,
      bundleCacheDir: join('/home/u', '.cache', 'sched-bench'),
    });
  });

  it('passes the tuning options on', () => {
    const flags = { workers: '2', workflowSlots: '80', activitySlots: '50', pollers: 'auto', stickyCacheSize: '0' };
    const tuning = workerTuningOf(resolveConfig('worker', { ...none, flags }), { HOME: '/home/u' });
    expect(tuning).toMatchObject({ instances: 2, workflowSlots: 80, activitySlots: 50, pollers: 'autoscaling', stickyCacheSize: 0 });
  });

  it('caches the workflow bundle where sched-bench caches the Temporal CLI', () => {
    const config = resolveConfig('worker', none);
    expect(workerTuningOf(config, { HOME: '/home/u', XDG_CACHE_HOME: '/var/cache' }).bundleCacheDir).toBe(join('/var/cache', 'sched-bench'));
  });

  it('prints the settings in force', () => {
    expect(
      formatWorkerSettings({ workers: 1, workflowSlots: 40, activitySlots: 100, pollers: '10/10 (workflow/activity)', stickyCacheSize: 2310 }),
    ).toBe('workers=1 workflowSlots=40 activitySlots=100 pollers=10/10 (workflow/activity) stickyCache=2310');
  });
});
