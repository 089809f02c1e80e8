import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { defaultCommand, resolveConfig, unknownVariableWarnings, type Environment } from '../../src/cli/config.js';
import { loadProfileDefaults } from '../../src/cli/connection.js';
import { INFINITE_MODE_ENV, OPTION_SPECS, type CommandName, type OptionSpec } from '../../src/cli/options.js';
import { OPERATIONS } from '../../src/shared/operations.js';
import { envExampleLines, envExampleText, readmeSection, readmeWithOptions, topicProblems } from '../../src/cli/options-docs.js';

const root = new URL('../../', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, root), 'utf8');
const COMMANDS: readonly CommandName[] = ['run', 'infinite', 'worker', 'cleanup', 'report', 'schedules'];
const specs = OPTION_SPECS as readonly OptionSpec[];

/** A command's config as the CLI resolves it (src/cli/main.ts): the profile named by the options, then all sources. */
function resolveAsTheCli(command: CommandName, env: Environment, dotenv: Environment) {
  const { profile: profileName } = resolveConfig(command, { flags: {}, env, dotenv });
  const profile = loadProfileDefaults(profileName, env, dotenv);
  return resolveConfig(command, { flags: {}, env, dotenv, profile });
}

/** .env.example with every line that shows a default (not an example) uncommented: what a user may set without changing anything. */
function withDefaultLinesUncommented(text: string): string {
  const defaults = new Set(specs.flatMap(envExampleLines).filter((line) => !line.isExample).map((line) => `# ${line.name}=${line.value}`));
  return text.split('\n').map((line) => (defaults.has(line) ? line.slice(2) : line)).join('\n');
}

/** A Temporal config file whose default profile sets every connection option a profile can set. */
function profileFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'options-docs-')), 'temporal.toml');
  writeFileSync(file, [
    '[profile.default]', 'address = "profile.example:7233"', 'namespace = "from-profile"', 'api_key = "profile-key"',
    '[profile.default.tls]', 'server_name = "profile.internal"', 'client_cert_path = "/profile/client.pem"',
    'client_key_path = "/profile/client.key"', 'server_ca_cert_path = "/profile/ca.pem"',
    '[profile.default.grpc_meta]', 'x-tenant = "profile"', '',
  ].join('\n'));
  return file;
}

describe('the docs made from the options table', () => {
  it('every option sits in exactly one topic', () => expect(topicProblems()).toEqual([]));

  it('.env.example is what the options table makes (run `npm run docs`)', () => {
    expect(read('.env.example'), '.env.example differs from the options table: run `npm run docs`').toBe(envExampleText());
  });

  it("README's options tables are what the options table makes (run `npm run docs`)", () => {
    const readme = read('README.md');
    expect(readme, "README's options tables differ from the options table: run `npm run docs`").toBe(readmeWithOptions(readme));
  });

  it('replaces only what stands between the markers of each README section', () => {
    const readme = 'intro\n<!-- options:start -->\nold\n<!-- options:end -->\nmiddle\n' +
      '<!-- schedules-options:start: old words -->\nold\n<!-- schedules-options:end -->\nthen\n<!-- operations:start -->\nold\n<!-- operations:end -->\noutro\n';
    expect(readmeWithOptions(readme)).toBe(
      `intro\n${readmeSection('options')}\nmiddle\n${readmeSection('schedules-options')}\nthen\n${readmeSection('operations')}\noutro\n`,
    );
    expect(readmeSection('options')).toContain('| `--concurrency <n>` | `SCHEDULER_CONCURRENCY` |');
    expect(readmeSection('schedules-options')).toContain('| `--every <time>` | `SCHEDULER_EVERY` |');
    expect(() => readmeWithOptions('no markers')).toThrow(/README.md has no "<!-- options:start …"/);
  });

  it("the README's operations table is made from OPERATIONS: every operation, its meaning and the workloads that measure it", () => {
    const table = readmeSection('operations');
    for (const [name, { meaning }] of Object.entries(OPERATIONS)) {
      expect(table).toContain(`| \`${name}\` |`);
      expect(table).toContain(meaning);
    }
    expect(table).toContain('| `signal.handled` | `signal`, `signal-with-start` |');
    expect(table).toContain('| `update.accepted` | `update`, `update-with-start` |');
    expect(table).toContain('| `timer.lag` | `timer` |');
  });

  it('.env.example names every variable the options read', () => {
    const names = specs.flatMap((spec) => [...spec.env, ...(spec.dataEnv ? [spec.dataEnv] : [])]);
    expect(names.filter((name) => name.startsWith('SCHEDULER_')).length).toBeGreaterThan(40);
    expect(names.filter((name) => name.startsWith('TEMPORAL_')).length).toBeGreaterThan(8);
    const text = envExampleText();
    for (const name of [...names, INFINITE_MODE_ENV]) expect(text, name).toMatch(new RegExp(`^# ${name}=`, 'm'));
    expect(text).toMatch(/^# TEMPORAL_GRPC_META_[A-Z_]+=/m);
  });
});

describe('.env.example is safe to copy to .env', () => {
  const text = envExampleText();

  it('sets no variable at all: every line is a comment or blank', () => {
    expect(parseDotenv(text)).toEqual({});
    for (const line of text.split('\n')) expect(line === '' || line.startsWith('#'), line).toBe(true);
  });

  it.each(COMMANDS)('a copy leaves the config of %s as it is, with or without a config profile', (command) => {
    const copied = parseDotenv(text);
    expect(resolveAsTheCli(command, {}, copied)).toEqual(resolveAsTheCli(command, {}, {}));
    const env = { TEMPORAL_CONFIG_FILE: profileFile() };
    expect(resolveAsTheCli(command, env, copied)).toEqual(resolveAsTheCli(command, env, {}));
    expect(defaultCommand({ env: {}, dotenv: copied })).toBe('run');
  });

  it('a line showing a default keeps that default when uncommented, also under a config profile', () => {
    const uncommented = parseDotenv(withDefaultLinesUncommented(text));
    // The check has teeth: the uncommented copy sets most options.
    expect(Object.values(uncommented).filter((value) => value !== '').length).toBeGreaterThan(20);
    expect(unknownVariableWarnings({ env: {}, dotenv: uncommented })).toEqual([]);
    expect(defaultCommand({ env: {}, dotenv: uncommented })).toBe('run');
    const env = { TEMPORAL_CONFIG_FILE: profileFile() };
    for (const command of COMMANDS) {
      expect(resolveAsTheCli(command, {}, uncommented), command).toEqual(resolveAsTheCli(command, {}, {}));
      expect(resolveAsTheCli(command, env, uncommented), `${command} with a profile`).toEqual(resolveAsTheCli(command, env, {}));
    }
  });

  it('the profile of that check does set the connection options (else it would prove nothing)', () => {
    const config = resolveAsTheCli('run', { TEMPORAL_CONFIG_FILE: profileFile() }, {});
    expect(config).toMatchObject({
      address: 'profile.example:7233', namespace: 'from-profile', apiKey: 'profile-key', tlsServerName: 'profile.internal',
      tlsCert: { path: '/profile/client.pem' }, tlsKey: { path: '/profile/client.key' }, tlsCa: { path: '/profile/ca.pem' },
      grpcMeta: { 'x-tenant': 'profile' }, tls: true,
    });
  });
});
