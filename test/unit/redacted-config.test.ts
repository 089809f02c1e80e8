import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/config.js';
import { redactedConfig } from '../../src/cli/run-command.js';

const none = { flags: {}, env: {}, dotenv: {} };

describe('the configuration in the JSON result', () => {
  it('shows no secret that was not given: no API key, gRPC metadata as the empty object it is', () => {
    const shown = redactedConfig('run', resolveConfig('run', none), 'plain');
    expect(shown).not.toHaveProperty('apiKey');
    expect(shown.grpcMeta).toEqual({});
    expect(JSON.stringify(shown)).not.toContain('[redacted]');
  });

  it('redacts every secret given: the API key, the values (not the names) of gRPC headers, inline PEM text', () => {
    const config = resolveConfig('run', {
      ...none,
      flags: { apiKey: 'key-secret', grpcMeta: ['x-audit=meta-secret', 'x-team=other-secret'] },
      env: { TEMPORAL_TLS_CLIENT_KEY_DATA: '-----BEGIN PRIVATE KEY-----\npem-secret\n-----END PRIVATE KEY-----' },
    });
    const shown = redactedConfig('run', config, 'plain');
    expect(shown).toMatchObject({
      apiKey: '[redacted]', grpcMeta: { 'x-audit': '[redacted]', 'x-team': '[redacted]' }, tlsKey: { data: '[redacted]' },
    });
    const text = JSON.stringify(shown);
    for (const secret of ['key-secret', 'meta-secret', 'other-secret', 'pem-secret']) expect(text).not.toContain(secret);
    // schedules shares the connection options and their redaction.
    expect(JSON.stringify(redactedConfig('schedules', resolveConfig('schedules', { ...none, flags: { grpcMeta: ['x-a=meta-secret'] } }))))
      .not.toContain('meta-secret');
  });

  it('shows the EchoWorkflow\'s message and count at their defaults when not given (as before they could be told apart)', () => {
    expect(redactedConfig('run', resolveConfig('run', none), 'plain')).toMatchObject({ message: 'Test scheduler', count: 1 });
    expect(redactedConfig('run', resolveConfig('run', { ...none, flags: { message: 'hi', count: '3' } }), 'plain')).toMatchObject({ message: 'hi', count: 3 });
    expect(redactedConfig('schedules', resolveConfig('schedules', none))).toMatchObject({ message: 'Test scheduler', count: 1 });
  });

  it.each([
    ['live', true],
    ['plain', false],
    ['quiet', false],
  ] as const)('progress reflects the output the run had: %s → %s', (output, progress) => {
    // --no-progress not given (progress: true in the options), yet a piped or quiet run had none.
    expect(redactedConfig('infinite', resolveConfig('infinite', none), output).progress).toBe(progress);
  });

  it('--no-progress stays false even on a terminal', () => {
    const config = resolveConfig('infinite', { ...none, flags: { progress: false } });
    expect(redactedConfig('infinite', config, 'plain').progress).toBe(false);
  });
});
