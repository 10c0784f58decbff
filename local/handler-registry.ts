// Pure parts of the local handler host: function name -> handler module, error shaping, faults.
// Kept free of I/O (except `listHandlerFolders`) so test/unit/local can test them directly.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Lambda's function-error body, as the Node.js runtime produces it. */
export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export class FunctionNotFoundError extends Error {
  override name = 'FunctionNotFoundError';
  constructor(
    readonly functionName: string,
    readonly searched: string[],
  ) {
    super(
      `no handler for function '${functionName}': expected a folder named '${functionName}' or a suffix ` +
        `'-<folder>' of it, containing handler.ts, under ${searched.join(', ') || '(no handler directories)'}`,
    );
  }
}

/** One handler directory entry: `<dir>/<folder>/handler.ts`. */
export interface HandlerEntry {
  folder: string;
  file: string;
}

/**
 * The function name from the invoke path segment, which may be a name, a partial ARN
 * (`123456789012:function:name`) or a full ARN, each optionally with a `:qualifier`.
 */
export function functionNameFromIdentifier(identifier: string): string {
  const decoded = decodeURIComponent(identifier);
  const parts = decoded.split(':');
  if (decoded.startsWith('arn:')) {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    const name = parts[6];
    if (!name) throw new Error(`malformed Lambda function ARN '${decoded}'`);
    return name;
  }
  const fnIndex = parts.indexOf('function');
  if (fnIndex >= 0 && parts[fnIndex + 1]) return parts[fnIndex + 1] as string;
  return parts[0] as string;
}

/**
 * Resolve a function name to a handler folder: the folder named exactly like the function, else the
 * longest folder `f` such that the name ends with `-f` (deployed names are `<prefix>-<folder>`).
 * Later entries with the same folder name override earlier ones (extra directories win over `lambdas/`).
 */
export function resolveHandler(functionName: string, entries: HandlerEntry[]): HandlerEntry | undefined {
  const byFolder = new Map<string, HandlerEntry>();
  for (const entry of entries) byFolder.set(entry.folder, entry);
  const exact = byFolder.get(functionName);
  if (exact) return exact;
  let best: HandlerEntry | undefined;
  for (const entry of byFolder.values()) {
    if (functionName.endsWith(`-${entry.folder}`) && (!best || entry.folder.length > best.folder.length)) {
      best = entry;
    }
  }
  return best;
}

/** `<dir>/<folder>/handler.ts` for every folder of every directory, in directory order. */
export function listHandlerFolders(dirs: string[]): HandlerEntry[] {
  const entries: HandlerEntry[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const dirent of readdirSync(dir, { withFileTypes: true })) {
      if (!dirent.isDirectory()) continue;
      const file = join(dir, dirent.name, 'handler.ts');
      if (existsSync(file)) entries.push({ folder: dirent.name, file });
    }
  }
  return entries;
}

/** Shape a thrown value like the Lambda Node.js runtime does (errorType = error.name). */
export function shapeError(err: unknown): FunctionErrorBody {
  if (err instanceof Error) {
    return {
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n').filter((line) => line.length > 0),
    };
  }
  if (err !== null && typeof err === 'object') {
    const o = err as { name?: unknown; errorType?: unknown; message?: unknown; errorMessage?: unknown };
    const type = o.errorType ?? o.name;
    const message = o.errorMessage ?? o.message;
    return {
      errorType: typeof type === 'string' && type ? type : 'object',
      errorMessage: typeof message === 'string' ? message : JSON.stringify(err),
      trace: [],
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

/**
 * The environment a function sees: `*` defaults, then its folder's entry, then its exact name's entry.
 * Values must be strings (as on AWS).
 */
export type FunctionEnvMap = Record<string, Record<string, string>>;

export function functionEnv(
  map: FunctionEnvMap,
  functionName: string,
  folder: string,
): Record<string, string> {
  return { ...map['*'], ...(folder !== functionName ? map[folder] : {}), ...map[functionName] };
}

export function validateEnvMap(value: unknown, what: string): FunctionEnvMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${what}: expected an object {functionName: {VAR: "value"}}`);
  }
  for (const [fn, vars] of Object.entries(value)) {
    validateEnv(vars, `${what}.${fn}`);
  }
  return value as FunctionEnvMap;
}

export function validateEnv(value: unknown, what: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${what}: expected an object {VAR: "value"}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new TypeError(`${what}.${k}: environment values must be strings`);
  }
  return value as Record<string, string>;
}

/** A fault: the next `times` invocations of `function` fail with `errorName` without running the handler. */
export interface Fault {
  function: string;
  errorName: string;
  errorMessage?: string;
  times: number;
}

export class FaultBook {
  private faults: Fault[] = [];

  add(fault: unknown): Fault {
    const f = fault as Partial<Fault> | null;
    if (!f || typeof f.function !== 'string' || !f.function)
      throw new TypeError('fault.function: required string');
    if (typeof f.errorName !== 'string' || !f.errorName)
      throw new TypeError('fault.errorName: required string');
    const times = f.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new TypeError('fault.times: a positive integer');
    const added: Fault = { function: f.function, errorName: f.errorName, times };
    if (typeof f.errorMessage === 'string') added.errorMessage = f.errorMessage;
    this.faults.push(added);
    return added;
  }

  /** Consume one pending fault for this invocation (matched by function name or folder), if any. */
  take(functionName: string, folder: string): FunctionErrorBody | undefined {
    const index = this.faults.findIndex((f) => f.function === functionName || f.function === folder);
    if (index < 0) return undefined;
    const fault = this.faults[index] as Fault;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return {
      errorType: fault.errorName,
      errorMessage: fault.errorMessage ?? `fault injected by the local handler host (${fault.errorName})`,
      trace: [],
    };
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }
}
