import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, EmulatorConfigError, loadConfigFromEnv, mergeConfig } from './config';

describe('emulator config', () => {
  it('deep-merges objects and replaces arrays', () => {
    const c = mergeConfig(defaultConfig(), {
      brands: [{ name: 'Solo', aliases: [], domains: ['solo.example'], probability: 1 }],
      providers: { gemini: { qps: 5, faults: { rate429: 0.5 } } },
    });
    expect(c.brands).toHaveLength(1);
    expect(c.providers.gemini.qps).toBe(5);
    expect(c.providers.gemini.faults.rate429).toBe(0.5);
    expect(c.providers.gemini.faults.retryAfterSeconds).toBe(1);
    expect(c.providers.gemini.models['gemini-2.5-flash']).toBe('gemini-2.5-flash');
    expect(mergeConfig(c, { providers: { gemini: { qps: null } } }).providers.gemini.qps).toBeNull();
  });

  it('names every invalid setting', () => {
    let error: EmulatorConfigError | undefined;
    try {
      mergeConfig(defaultConfig(), {
        port: -1,
        providers: { openai: { latencyMs: { min: 5, max: 1 }, faults: { rate429: 2, bogus: 1 } } },
        brands: [{ name: '', domains: [], probability: 3 }],
        typo: true,
      });
    } catch (err) {
      if (err instanceof EmulatorConfigError) error = err;
    }
    expect(error).toBeInstanceOf(EmulatorConfigError);
    const paths = error!.problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'port',
        'typo',
        'brands[0].name',
        'brands[0].domains',
        'brands[0].probability',
        'providers.openai.latencyMs',
        'providers.openai.faults.rate429',
        'providers.openai.faults.bogus',
        'providers.openai.faults',
      ]),
    );
  });

  it('reads the file, then the inline JSON, then EMULATOR_PORT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-config-'));
    const file = join(dir, 'emulator.json');
    writeFileSync(file, JSON.stringify({ port: 5000, acceptAnyModel: true, seed: 42 }));
    const c = loadConfigFromEnv({ EMULATOR_CONFIG_FILE: file, EMULATOR_CONFIG: '{"port": 5001}', EMULATOR_PORT: '5002' });
    expect(c).toMatchObject({ port: 5002, acceptAnyModel: true, seed: '42' });
    expect(() => loadConfigFromEnv({ EMULATOR_CONFIG: '{not json' })).toThrow(/EMULATOR_CONFIG: not valid JSON/);
    expect(() => loadConfigFromEnv({ EMULATOR_PORT: 'abc' })).toThrow(/EMULATOR_PORT/);
  });
});
