import { describe, expect, it } from 'vitest';
import { gateOnTool, toolsRequired } from '../helpers/tools.js';

const missingTool = (): never => {
  throw new Error('the TLS tests need nginx (Debian: apt-get install nginx-light); .ci/run installs it');
};
const presentTool = (): string => '/usr/sbin/nginx';

function gate(find: () => unknown, env: NodeJS.ProcessEnv) {
  const said: string[] = [];
  return { ...gateOnTool(find, env, (line) => said.push(line)), said };
}

describe('tests that need a tool the machine may lack', () => {
  it('locally, a missing tool skips them and says so in one line', () => {
    const result = gate(missingTool, {});
    expect(result.skip).toBe(true);
    expect(result.said).toEqual([
      'skipped: the TLS tests need nginx (Debian: apt-get install nginx-light); .ci/run installs it (required when CI is set)',
    ]);
  });

  it.each(['true', '1', 'yes'])('under CI=%s, a missing tool is not skipped: the tests run and fail on it', (ci) => {
    const result = gate(missingTool, { CI: ci });
    expect(result.skip).toBe(false);
    expect(result.missing).toBe('the TLS tests need nginx (Debian: apt-get install nginx-light); .ci/run installs it');
    expect(result.said).toEqual([]);
  });

  it.each([{}, { CI: 'true' }])('a tool that is there runs them, silently (env %j)', (env) => {
    const result = gate(presentTool, env);
    expect(result).toEqual({ skip: false, missing: undefined, said: [] });
  });

  it('CI counts as set unless empty, "false" or "0"', () => {
    expect([undefined, '', 'false', 'FALSE', '0'].map((CI) => toolsRequired(CI === undefined ? {} : { CI }))).toEqual([false, false, false, false, false]);
    expect(['true', '1', 'github'].map((CI) => toolsRequired({ CI }))).toEqual([true, true, true]);
  });
});
