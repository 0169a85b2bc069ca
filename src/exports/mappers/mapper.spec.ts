import { ExportMapper, MapperConfigError, MapperRegistry, maskSecret } from './mapper';

const stub = (name: string): ExportMapper => ({
  name,
  parseConfig: (raw) => raw,
  redact: () => ({}),
  checkTarget: async () => undefined,
  deliver: async () => ({ rows: 0, delivered: 0, failed: 0, deliveries: [] }),
});

describe('MapperRegistry', () => {
  it('finds mappers by name and lists them in registration order', () => {
    const a = stub('webhook');
    const registry = new MapperRegistry([a, stub('sheets')]);
    expect(registry.get('webhook')).toBe(a);
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.names()).toEqual(['webhook', 'sheets']);
  });

  it('refuses two mappers with one name', () => {
    expect(() => new MapperRegistry([stub('webhook'), stub('webhook')])).toThrow(/registered twice/);
  });
});

describe('mapper helpers', () => {
  it('masks secrets', () => {
    expect(maskSecret('0123456789abcdefXY')).toBe('****XY');
    expect(maskSecret('short')).toBe('****');
  });

  it('MapperConfigError carries the field list and a readable message', () => {
    const err = new MapperConfigError([{ field: 'config.url', message: 'is required' }]);
    expect(err.errors).toEqual([{ field: 'config.url', message: 'is required' }]);
    expect(err.message).toBe('invalid mapper config: config.url: is required');
    expect(err.name).toBe('MapperConfigError');
  });
});
