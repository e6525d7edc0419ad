// Settings of `dispersa serve`: defaults, then a JSON config file, then the environment, then command-line flags.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface ServeSettings {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Enables virtual-host style requests (`<bucket>.<domain>`). */
  readonly domain: string | undefined;
  /** Metadata in PostgreSQL instead of SQLite under the data directory. */
  readonly postgresUrl: string | undefined;
  /** Where bucket keys are kept (default <data dir>/keys); gateways sharing a metadata store must share it. */
  readonly keyVaultDir: string | undefined;
  readonly staleWriteSeconds: number;
  /** The admin API, metrics, health and portal listen here (on `host`); 0 picks a free port. */
  readonly adminPort: number;
  /** How often the benchmarker probes every location; 0 turns it off. */
  readonly probeIntervalSeconds: number;
  /** Cache settings from the config file's `cache` object (validated by the cache); the admin API may change them later. */
  readonly cache: Readonly<Record<string, unknown>> | undefined;
}

export class ConfigError extends Error {
  readonly kind = 'config';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULTS: ServeSettings = { dataDir: './data', host: '127.0.0.1', port: 9000, domain: undefined, postgresUrl: undefined, keyVaultDir: undefined, staleWriteSeconds: 600, adminPort: 9001, probeIntervalSeconds: 600, cache: undefined };

/** Config file keys, their environment variables and command-line flags. */
const FIELDS = {
  dataDir: { env: 'DISPERSA_DATA_DIR', flag: 'data-dir', type: 'string' },
  host: { env: 'DISPERSA_HOST', flag: 'host', type: 'string' },
  port: { env: 'DISPERSA_PORT', flag: 'port', type: 'port' },
  domain: { env: 'DISPERSA_DOMAIN', flag: 'domain', type: 'string' },
  postgresUrl: { env: 'DISPERSA_POSTGRES_URL', flag: 'postgres-url', type: 'string' },
  keyVaultDir: { env: 'DISPERSA_KEY_VAULT_DIR', flag: 'key-vault-dir', type: 'string' },
  staleWriteSeconds: { env: 'DISPERSA_STALE_WRITE_SECONDS', flag: 'stale-write-seconds', type: 'seconds' },
  adminPort: { env: 'DISPERSA_ADMIN_PORT', flag: 'admin-port', type: 'port' },
  probeIntervalSeconds: { env: 'DISPERSA_PROBE_INTERVAL_SECONDS', flag: 'probe-interval-seconds', type: 'seconds' },
} as const satisfies Record<Exclude<keyof ServeSettings, 'cache'>, { env: string; flag: string; type: 'string' | 'port' | 'seconds' }>;

type Field = keyof typeof FIELDS;

function convert(field: Field, raw: unknown, source: string): string | number {
  const { type } = FIELDS[field];
  if (type === 'string') {
    if (typeof raw !== 'string' || raw === '') throw new ConfigError(`${source}: ${field} must be a non-empty string`);
    return raw;
  }
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (type === 'port' && !(Number.isInteger(n) && n >= 0 && n <= 65535)) throw new ConfigError(`${source}: port must be an integer in 0..65535, got ${JSON.stringify(raw)}`);
  if (type === 'seconds' && !(Number.isFinite(n) && n >= 0)) throw new ConfigError(`${source}: ${field} must be a number of seconds >= 0, got ${JSON.stringify(raw)}`);
  return n;
}

/** Resolves the settings; throws ConfigError with the source and field of the first bad value. */
export function resolveServeSettings(args: readonly string[], env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ServeSettings {
  const flagOptions = Object.fromEntries(Object.values(FIELDS).map((f) => [f.flag, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...flagOptions, config: { type: 'string' } }, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const flags = parsed.values as Record<string, string | undefined>;
  const settings: Record<string, unknown> = { ...DEFAULTS };
  const configPath = flags.config ?? env.DISPERSA_CONFIG;
  if (configPath !== undefined && configPath !== '') {
    let file: unknown;
    try {
      file = JSON.parse(readFile(configPath));
    } catch (error) {
      throw new ConfigError(`config file ${configPath}: ${(error as Error).message}`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new ConfigError(`config file ${configPath}: expected a JSON object`);
    for (const [key, value] of Object.entries(file)) {
      if (key === 'cache') {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`config file ${configPath}: cache must be an object of cache settings`);
        settings.cache = value;
        continue;
      }
      if (!Object.hasOwn(FIELDS, key)) throw new ConfigError(`config file ${configPath}: unknown setting ${JSON.stringify(key)} (known: ${[...Object.keys(FIELDS), 'cache'].join(', ')})`);
      settings[key] = convert(key as Field, value, `config file ${configPath}`);
    }
  }
  for (const [field, spec] of Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][]) {
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') settings[field] = convert(field, fromEnv, spec.env);
    const fromFlag = flags[spec.flag];
    if (fromFlag !== undefined) settings[field] = convert(field, fromFlag, `--${spec.flag}`);
  }
  return settings as unknown as ServeSettings;
}
