import type { z } from 'zod';
import { readEnv } from './env';
import { ValidationError } from './errors';
import { toFieldIssues } from './issues';
import { traced } from './tracing';

/**
 * One contract per Lambda function (`lambdas/<name>/contract.ts`): its environment, its input and
 * output, its size and the IAM grants it needs. Three readers share it, so a fact is written once:
 * - the handler reads its environment at cold start (`readFunctionEnv`) and parses its input;
 * - the CDK construct (infra/private/tenantry-function.ts) sets the environment, timeout, memory and
 *   IAM statements from it;
 * - the local deployment (local/) sets the handler host's environment from it.
 * Renaming a variable in a contract fails typecheck in all three (`FunctionEnvironment` below).
 */

/** An IAM grant a function needs, bound to resources by the stack that deploys it. */
export interface Grant {
  readonly actions: readonly string[];
  /** Static IAM conditions, if any (deployment-specific ones come with the stack's binding). */
  readonly conditions?: Conditions;
}

export interface FunctionSpec<
  Env extends z.ZodRawShape,
  In extends z.ZodType,
  Out extends z.ZodType,
  GrantName extends string,
> {
  /** Folder under `lambdas/` and the deployed name's suffix (`<product>-<stage>-<name>`). */
  readonly name: string;
  /** One line: what the function does (the Lambda description). */
  readonly description: string;
  /** Environment variables, validated at cold start; the construct must set every required one. */
  readonly env: Env;
  readonly input: In;
  readonly output: Out;
  /** Default 10. */
  readonly timeoutSeconds?: number;
  /** Default 256. */
  readonly memoryMb?: number;
  /** Named grants; the deploying stack binds each name to resource ARNs. */
  readonly grants: Readonly<Record<GrantName, Grant>>;
}

export interface FunctionContract<
  Env extends z.ZodRawShape = z.ZodRawShape,
  In extends z.ZodType = z.ZodType,
  Out extends z.ZodType = z.ZodType,
  GrantName extends string = string,
> extends FunctionSpec<Env, In, Out, GrantName> {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
const NAME = /^[a-z][a-z0-9-]{1,40}$/;

/** Declares a function's contract; rejects impossible sizes early, showing the bad value. */
export function defineFunction<
  const Env extends z.ZodRawShape,
  In extends z.ZodType,
  Out extends z.ZodType,
  const GrantName extends string = never,
>(spec: FunctionSpec<Env, In, Out, GrantName>): FunctionContract<Env, In, Out, GrantName> {
  const timeoutSeconds = spec.timeoutSeconds ?? 10;
  const memoryMb = spec.memoryMb ?? 256;
  const issues = [
    ...(NAME.test(spec.name) ? [] : [{ field: 'name', message: `must match ${NAME} (got "${spec.name}")` }]),
    ...(Number.isInteger(timeoutSeconds) &&
    timeoutSeconds >= 1 &&
    timeoutSeconds <= LAMBDA_MAX_TIMEOUT_SECONDS
      ? []
      : [
          {
            field: 'timeoutSeconds',
            message: `must be 1-${LAMBDA_MAX_TIMEOUT_SECONDS} (got ${timeoutSeconds})`,
          },
        ]),
    ...(Number.isInteger(memoryMb) && memoryMb >= 128 && memoryMb <= 10_240
      ? []
      : [{ field: 'memoryMb', message: `must be 128-10240 (got ${memoryMb})` }]),
  ];
  if (issues.length > 0) throw new ValidationError(`function contract ${spec.name}`, issues);
  return { ...spec, timeoutSeconds, memoryMb };
}

type EnvOf<C extends FunctionContract> = C extends FunctionContract<infer Env> ? Env : never;
type RequiredKeys<Env extends z.ZodRawShape> = {
  [K in keyof Env]: undefined extends z.input<Env[K]> ? never : K;
}[keyof Env];

/**
 * The environment a deployment must give the function: every required variable, optionally the ones
 * with defaults, and nothing else (an object literal with a stale name fails typecheck).
 */
export type FunctionEnvironment<C extends FunctionContract> = {
  readonly [K in RequiredKeys<EnvOf<C>>]: string;
} & {
  readonly [K in Exclude<keyof EnvOf<C>, RequiredKeys<EnvOf<C>>>]?: string;
};

/** IAM condition blocks (`{ StringEquals: { key: value } }`). */
export type Conditions = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/**
 * What a stack binds to one grant: its resources (an empty list grants nothing), and optionally
 * conditions only the deployment knows (merged with the grant's own).
 */
export type GrantBinding =
  | readonly string[]
  | { readonly resources: readonly string[]; readonly conditions: Conditions };

/** The binding of each of the function's named grants. */
export type GrantResources<C extends FunctionContract> =
  C extends FunctionContract<z.ZodRawShape, z.ZodType, z.ZodType, infer G>
    ? { readonly [K in G]: GrantBinding }
    : never;

export type FunctionInput<C extends FunctionContract> = z.output<C['input']>;
export type FunctionOutput<C extends FunctionContract> = z.input<C['output']>;

/** The function's environment, validated (at cold start: call it at module level). */
export function readFunctionEnv<C extends FunctionContract>(
  contract: C,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<EnvOf<C>>> {
  return readEnv(contract.env as EnvOf<C>, source);
}

/** The function's input, validated; a ValidationError names every bad field and the function. */
export function parseFunctionInput<C extends FunctionContract>(
  contract: C,
  event: unknown,
): FunctionInput<C> {
  const result = contract.input.safeParse(event);
  if (!result.success) throw new ValidationError(`${contract.name} input`, toFieldIssues(result.error));
  return result.data as FunctionInput<C>;
}

/** The environment values as the deployment passes them (typed against the contract). */
export function functionEnvironment<C extends FunctionContract>(
  _contract: C,
  values: FunctionEnvironment<C>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
}

/**
 * The handler of a contract: parses the input, runs `impl`, and checks the output against the
 * contract (the output is returned as `impl` gave it: checking never strips fields).
 */
export function contractHandler<C extends FunctionContract, Context = unknown>(
  contract: C,
  impl: (input: FunctionInput<C>, context?: Context) => Promise<FunctionOutput<C>>,
): (event: unknown, context?: Context) => Promise<FunctionOutput<C>> {
  return traced(contract.name, async (event: unknown, context?: Context) => {
    const output = await impl(parseFunctionInput(contract, event), context);
    const checked = contract.output.safeParse(output);
    if (!checked.success) {
      throw new ValidationError(`${contract.name} output`, toFieldIssues(checked.error));
    }
    return output;
  });
}
