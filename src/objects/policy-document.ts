// The public storage policy document (the SERRANO shape, extended): parsing with precise messages, defaults, and dispersal.

import { z } from 'zod';
import { DEFAULT_BROTLI_QUALITY, DEFAULT_DEFLATE_LEVEL, MAX_BROTLI_QUALITY, MAX_DEFLATE_LEVEL } from '../core/compress.ts';
import { MAX_GENERATION_SIZE, MIN_GENERATION_SIZE, validateCodecPolicy, type CodecPolicy } from '../core/pipeline.ts';
import { MAX_PACKETS } from '../core/rlnc/params.ts';
import type { DispersalPolicy } from '../dispersal/placement.ts';

/** One bad field of a request: `path` dotted (`redundancy.redundant_packets`, `backends.1`), '' for the whole body. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** A stored policy document that is neither the public nor the legacy shape. */
export class PolicyDocumentError extends Error {
  readonly errors: readonly FieldError[];
  constructor(message: string, errors: readonly FieldError[] = []) {
    super(message);
    this.name = 'PolicyDocumentError';
    this.errors = errors;
  }
}

export const DEFAULT_GENERATION_SIZE = 4 * 1024 * 1024;
export const POLICY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const LOCATION_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export type CompressionName = 'NONE' | 'DEFLATE' | 'BROTLI';
export const COMPRESSION_NAMES: readonly CompressionName[] = ['NONE', 'DEFLATE', 'BROTLI'];
export type CoefficientsName = 'inline' | 'metadata';

/** Highest level and default level per compression scheme (NONE has only level 0). */
const COMPRESSION_LEVELS: Readonly<Record<CompressionName, { readonly max: number; readonly default: number }>> = {
  NONE: { max: 0, default: 0 },
  DEFLATE: { max: MAX_DEFLATE_LEVEL, default: DEFAULT_DEFLATE_LEVEL },
  BROTLI: { max: MAX_BROTLI_QUALITY, default: DEFAULT_BROTLI_QUALITY },
};

/** The normalised public document, every default filled in: what the metadata store keeps (name and version apart). */
export interface PolicyDocument {
  readonly description: string;
  readonly backends: readonly string[];
  readonly edge_devices: readonly string[];
  readonly redundancy: { readonly scheme: 'RLNC'; readonly data_packets: number; readonly redundant_packets: number; readonly systematic: boolean };
  readonly compression: { readonly scheme: CompressionName; readonly level: number };
  readonly encryption: { readonly scheme: 'AES'; readonly key_size: 256; readonly mode: 'GCM' };
  readonly generation_size: number;
  readonly write_quorum: number;
  readonly coefficients: CoefficientsName;
}

/** The legacy stored shape (the embedded default policy of existing data directories): a DispersalPolicy. */
export type LegacyPolicyDocument = DispersalPolicy;

const show = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** An integer field in [min, max] with one message for every way it can be wrong. */
function integerIn(min: number, max: number | undefined): z.ZodNumber {
  const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}]`;
  const error = (issue: { readonly input?: unknown }): string => `must be an integer ${range}, got ${show(issue.input)}`;
  const n = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? n : n.max(max, { error });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, why = ''): z.ZodEnum<{ [K in T[number]]: K }> {
  const listed = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return z.enum(values, { error: (issue) => `must be ${listed}${why}, got ${show(issue.input)}` });
}

const notALocationId = (issue: { readonly input?: unknown }): string => `must be a location id (${LOCATION_ID_PATTERN.source}, or a number read as its decimal string), got ${show(issue.input)}`;
const locationIdSchema = z
  .union([z.string().regex(LOCATION_ID_PATTERN, { error: notALocationId }), z.number({ error: notALocationId }).int({ error: notALocationId }).nonnegative({ error: notALocationId })], { error: notALocationId })
  .transform((id) => String(id))
  .meta({ description: 'A location id; a number is read as its decimal string.' });

const ENCRYPTION_ONLY = ' (AES-256-GCM is the only encryption offered)';

/** The fields of a policy document as requests carry them (defaults not yet filled in); `name` is the caller's business. */
export const policyDocumentFields = {
  description: z.string().max(1024, { error: 'must be at most 1024 characters long' }).optional().meta({ description: 'Free text; default empty.' }),
  backends: z.array(locationIdSchema).optional().meta({ description: 'Ids of local or cloud locations; their packets come first.' }),
  edge_devices: z.array(locationIdSchema).optional().meta({ description: 'Ids of edge locations, after the backends.' }),
  redundancy: z
    .strictObject({
      scheme: oneOf(['RLNC']).optional().meta({ description: 'Only RLNC; default RLNC.' }),
      data_packets: integerIn(1, MAX_PACKETS).optional().meta({ description: 'k; default: listed locations − r.' }),
      redundant_packets: integerIn(0, MAX_PACKETS - 1).meta({ description: 'r: how many packets of a generation may be lost.' }),
      systematic: z.boolean().optional().meta({ description: 'Send the k source symbols as the first packets; default false.' }),
    })
    .meta({ description: 'n = k + r packets per generation; any k rebuild it.' }),
  compression: z
    .strictObject({
      scheme: oneOf(['NONE', 'DEFLATE', 'BROTLI']).optional().meta({ description: 'Default DEFLATE.' }),
      level: integerIn(0, MAX_BROTLI_QUALITY).optional().meta({ description: 'DEFLATE 0–9 (default 6), BROTLI 0–11 (default 1), NONE 0.' }),
    })
    .optional(),
  encryption: z
    .strictObject({
      scheme: oneOf(['AES'], ENCRYPTION_ONLY).optional(),
      key_size: z.literal(256, { error: (issue) => `must be 256${ENCRYPTION_ONLY}, got ${show(issue.input)}` }).optional(),
      mode: oneOf(['GCM'], ENCRYPTION_ONLY).optional(),
    })
    .optional()
    .meta({ description: 'Always AES-256-GCM.' }),
  generation_size: integerIn(MIN_GENERATION_SIZE, MAX_GENERATION_SIZE).optional().meta({ description: 'Bytes per generation; default 4194304.' }),
  write_quorum: integerIn(1, MAX_PACKETS).optional().meta({ description: 'Fragments per generation durable before a write succeeds, in [k, n]; default n.' }),
  coefficients: oneOf(['inline', 'metadata']).optional().meta({ description: 'Coding coefficients in the fragment headers (default) or only in metadata.' }),
};

export const policyNameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be a string, got ${show(issue.input)}`) })
  .regex(POLICY_NAME_PATTERN, { error: (issue) => `must match ${POLICY_NAME_PATTERN.source}, got ${show(issue.input)}` });

/** A document as a request may carry it, with an optional name (the test and CLI entry point). */
export const policyDocumentSchema = z.strictObject({ name: policyNameSchema.optional(), ...policyDocumentFields });
export type PolicyDocumentInput = z.output<typeof policyDocumentSchema>;

/** The stored public shape, every field present (what isPolicyDocument recognises). */
const storedPolicySchema = z.strictObject({
  description: z.string(),
  backends: z.array(z.string()),
  edge_devices: z.array(z.string()),
  redundancy: z.strictObject({ scheme: z.literal('RLNC'), data_packets: z.number().int(), redundant_packets: z.number().int(), systematic: z.boolean() }),
  compression: z.strictObject({ scheme: z.enum(['NONE', 'DEFLATE', 'BROTLI']), level: z.number().int() }),
  encryption: z.strictObject({ scheme: z.literal('AES'), key_size: z.literal(256), mode: z.literal('GCM') }),
  generation_size: z.number().int(),
  write_quorum: z.number().int(),
  coefficients: z.enum(['inline', 'metadata']),
});

const articled = (type: string): string => {
  switch (type) {
    case 'int':
      return 'an integer';
    case 'object':
    case 'array':
      return `an ${type}`;
    default:
      return `a ${type}`;
  }
};

/**
 * The message of a zod issue no schema customised: says what was expected and what came. Shared with the admin API,
 * which reports every bad body the way policies are reported.
 */
export function issueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${articled(issue.expected)}, got ${show(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${show(issue.values[0])}, got ${show(issue.input)}` : `must be one of ${issue.values.map(show).join(', ')}, got ${show(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string') return `must be at least ${String(issue.minimum)} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at least ${String(issue.minimum)} items`;
      return `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}, got ${show(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${String(issue.maximum)} items`;
      return `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}, got ${show(issue.input)}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern !== undefined ? `must match ${issue.pattern}, got ${show(issue.input)}` : `must be a valid ${issue.format}, got ${show(issue.input)}`;
    case 'unrecognized_keys':
      return 'is not a known field';
    case 'invalid_union':
      return `does not match any accepted form, got ${show(issue.input)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, got ${show(issue.input)}`;
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid element';
    case 'custom':
      return issue.message ?? 'is invalid';
    default: {
      const unknown: never = issue;
      return `is invalid (${String((unknown as { code?: unknown }).code)})`;
    }
  }
}

/** Parse options every caller uses, so uncustomised issues carry the messages above. */
export const PARSE_OPTIONS = { reportInput: true, error: (issue: z.core.$ZodRawIssue) => issueMessage(issue) } as const;

/** Field errors of a failed parse: dotted paths, one entry per unknown key. */
export function fieldErrorsOf(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: base === '' ? key : `${base}.${key}`, message: 'is not a known field' });
    } else {
      out.push({ path: base, message: issue.message });
    }
  }
  return out;
}

/** "write_quorum must be in [k, n] = [2, 3], got 4": the field and its message as one sentence. */
export function describeFieldError(e: FieldError): string {
  return e.path === '' ? e.message : `${e.path} ${e.message}`;
}

export type PolicyParseResult = { readonly ok: true; readonly name: string | undefined; readonly document: PolicyDocument } | { readonly ok: false; readonly errors: readonly FieldError[] };

/**
 * Fills in the defaults and checks the rules that span fields (n against the listed locations, write quorum against
 * k and n, the compression level against its scheme, each location listed once). Locations are checked apart
 * (checkPolicyLocations): that needs the gateway's list.
 */
export function normalisePolicyDocument(input: Omit<PolicyDocumentInput, 'name'>): { readonly ok: true; readonly document: PolicyDocument } | { readonly ok: false; readonly errors: readonly FieldError[] } {
  const errors: FieldError[] = [];
  const backends = input.backends ?? [];
  const edgeDevices = input.edge_devices ?? [];
  const listed = backends.length + edgeDevices.length;
  if (listed === 0) errors.push({ path: 'backends', message: 'must list at least one location (in backends or edge_devices)' });

  const seen = new Set<string>();
  const lists = [['backends', backends], ['edge_devices', edgeDevices]] as const;
  for (const [field, ids] of lists) {
    ids.forEach((id, i) => {
      if (seen.has(id)) errors.push({ path: `${field}.${i}`, message: `location ${JSON.stringify(id)} is listed twice` });
      seen.add(id);
    });
  }

  const r = input.redundancy.redundant_packets;
  const k = input.redundancy.data_packets ?? listed - r;
  const n = k + r;
  let sizesValid = true;
  if (input.redundancy.data_packets === undefined) {
    if (listed > 0 && k < 1) {
      errors.push({ path: 'redundancy.redundant_packets', message: `must be less than the number of listed locations (${listed}), got ${r}` });
      sizesValid = false;
    }
  } else if (n > listed) {
    errors.push({ path: 'redundancy', message: `needs n = k + r = ${k} + ${r} = ${n} locations, but ${listed} ${listed === 1 ? 'is' : 'are'} listed` });
    sizesValid = false;
  }
  if (n > MAX_PACKETS) {
    errors.push({ path: 'redundancy', message: `n = k + r must be <= ${MAX_PACKETS}, got ${k} + ${r} = ${n}` });
    sizesValid = false;
  }

  const scheme = input.compression?.scheme ?? 'DEFLATE';
  const levels = COMPRESSION_LEVELS[scheme];
  const level = input.compression?.level ?? levels.default;
  if (level > levels.max) errors.push({ path: 'compression.level', message: `must be an integer in [0, ${levels.max}] for ${scheme}, got ${level}` });

  const writeQuorum = input.write_quorum ?? n;
  if (sizesValid && listed > 0 && (writeQuorum < k || writeQuorum > n)) {
    errors.push({ path: 'write_quorum', message: `must be in [k, n] = [${k}, ${n}], got ${writeQuorum}` });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    document: {
      description: input.description ?? '',
      backends: [...backends],
      edge_devices: [...edgeDevices],
      redundancy: { scheme: 'RLNC', data_packets: k, redundant_packets: r, systematic: input.redundancy.systematic ?? false },
      compression: { scheme, level },
      encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
      generation_size: input.generation_size ?? DEFAULT_GENERATION_SIZE,
      write_quorum: writeQuorum,
      coefficients: input.coefficients ?? 'inline',
    },
  };
}

/** Parses a document as JSON gives it: shape (unknown fields refused), then defaults and the rules across fields. */
export function parsePolicyDocument(json: unknown): PolicyParseResult {
  const parsed = policyDocumentSchema.safeParse(json, PARSE_OPTIONS);
  if (!parsed.success) return { ok: false, errors: fieldErrorsOf(parsed.error) };
  const { name, ...fields } = parsed.data;
  const normalised = normalisePolicyDocument(fields);
  return normalised.ok ? { ok: true, name, document: normalised.document } : normalised;
}

/** What policy validation needs to know of a location. */
export interface KnownLocation {
  readonly kind: string;
  readonly retired: boolean;
}

/** Every listed location must exist, be active, and be of the kind its list takes. */
export function checkPolicyLocations(document: PolicyDocument, locations: ReadonlyMap<string, KnownLocation>): FieldError[] {
  const errors: FieldError[] = [];
  const lists = [['backends', document.backends], ['edge_devices', document.edge_devices]] as const;
  for (const [field, ids] of lists) {
    ids.forEach((id, i) => {
      const path = `${field}.${i}`;
      const location = locations.get(id);
      if (location === undefined) errors.push({ path, message: `no location ${JSON.stringify(id)} exists` });
      else if (location.retired) errors.push({ path, message: `location ${JSON.stringify(id)} is retired` });
      else if (field === 'backends' && location.kind !== 'local' && location.kind !== 'cloud') {
        errors.push({ path, message: `location ${JSON.stringify(id)} is an ${location.kind} location: list it in edge_devices` });
      } else if (field === 'edge_devices' && location.kind !== 'edge') {
        errors.push({ path, message: `location ${JSON.stringify(id)} is a ${location.kind} location: list it in backends` });
      }
    });
  }
  return errors;
}

/** Packets of a generation go to the first n = k + r listed locations, backends first; the rest are standbys. */
export function toDispersalPolicy(doc: PolicyDocument): DispersalPolicy {
  const k = doc.redundancy.data_packets;
  const r = doc.redundancy.redundant_packets;
  const codec: CodecPolicy = {
    k,
    r,
    systematic: doc.redundancy.systematic,
    generationSize: doc.generation_size,
    compression: { scheme: compressionOfName(doc.compression.scheme), level: doc.compression.level },
    coefficients: doc.coefficients === 'metadata' ? 'aside' : 'inline',
  };
  return { codec, locations: [...doc.backends, ...doc.edge_devices].slice(0, k + r), writeQuorum: doc.write_quorum };
}

function compressionOfName(name: CompressionName): CodecPolicy['compression']['scheme'] {
  switch (name) {
    case 'NONE':
      return 'none';
    case 'DEFLATE':
      return 'deflate';
    case 'BROTLI':
      return 'brotli';
    default: {
      const unknown: never = name;
      throw new PolicyDocumentError(`unknown compression scheme ${String(unknown)}`);
    }
  }
}

function nameOfCompression(scheme: CodecPolicy['compression']['scheme']): CompressionName {
  switch (scheme) {
    case 'none':
      return 'NONE';
    case 'deflate':
      return 'DEFLATE';
    case 'brotli':
      return 'BROTLI';
    default: {
      const unknown: never = scheme;
      throw new PolicyDocumentError(`unknown compression scheme ${String(unknown)}`);
    }
  }
}

/** True for the stored public shape (every field present, no other field). */
export function isPolicyDocument(value: unknown): value is PolicyDocument {
  return storedPolicySchema.safeParse(value).success;
}

/** True for the legacy stored shape `{codec, locations, writeQuorum}`. */
export function isLegacyPolicyDocument(value: unknown): value is LegacyPolicyDocument {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof LegacyPolicyDocument, unknown>>;
  if (typeof v.codec !== 'object' || v.codec === null || !Array.isArray(v.locations) || typeof v.writeQuorum !== 'number') return false;
  if (!v.locations.every((id) => typeof id === 'string')) return false;
  try {
    validateCodecPolicy(v.codec as CodecPolicy);
    return true;
  } catch {
    return false;
  }
}

/**
 * The public document of a stored policy of either shape. A legacy document lists every location as a backend: it
 * keeps their order, which is what places packets (its locations' kinds are not known here).
 */
export function readStoredPolicyDocument(stored: unknown): PolicyDocument {
  if (isPolicyDocument(stored)) return stored;
  if (isLegacyPolicyDocument(stored)) {
    const { codec } = stored;
    return {
      description: '',
      backends: [...stored.locations],
      edge_devices: [],
      redundancy: { scheme: 'RLNC', data_packets: codec.k, redundant_packets: codec.r, systematic: codec.systematic },
      compression: { scheme: nameOfCompression(codec.compression.scheme), level: codec.compression.level },
      encryption: { scheme: 'AES', key_size: 256, mode: 'GCM' },
      generation_size: codec.generationSize,
      write_quorum: stored.writeQuorum,
      coefficients: codec.coefficients === 'aside' ? 'metadata' : 'inline',
    };
  }
  throw new PolicyDocumentError('the stored policy is neither a policy document nor a legacy {codec, locations, writeQuorum} document');
}

/** What dispersal needs from a stored policy of either shape (the object service's reader). */
export function dispersalPolicyOfStored(stored: unknown): DispersalPolicy {
  if (isLegacyPolicyDocument(stored)) return stored;
  return toDispersalPolicy(readStoredPolicyDocument(stored));
}
