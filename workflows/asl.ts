/**
 * A small typed model of Amazon States Language with JSONata (QueryLanguage "JSONata"): a
 * discriminated union of the states Tenantry's workflows use. JSONPath-only fields (InputPath,
 * Parameters, ResultPath, ResultSelector, OutputPath, Variable-based choice rules) are deliberately
 * absent, so a definition cannot mix the two query languages. `asl-validator` checks the emitted JSON.
 */

/** A JSONata expression embedded in a string field: `{% ... %}`. */
export type Jsonata = `{%${string}%}`;

/*
 * Expressions are composed unwrapped (plain JSONata text) and embedded with `jsonata()` only where a
 * field takes them, so composing never cuts delimiters off an embedded one.
 */

/** Embeds a JSONata expression in a field. */
export function jsonata(expression: string): Jsonata {
  return `{% ${expression} %}`;
}

/** A JSONata string literal (JSONata escapes as JSON does: no `\'`). */
export function jsonataString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", '\\u0027')}'`;
}

/** A JSONata object constructor, `{'field': expression, …}`, from field → expression. */
export function jsonataObject(fields: Readonly<Record<string, string>>): string {
  return `{${Object.entries(fields)
    .map(([field, expression]) => `${jsonataString(field)}: ${expression}`)
    .join(', ')}}`;
}

/** Any JSON value whose strings may be JSONata expressions (Arguments, Output, Assign values). */
export type JsonTemplate =
  | string
  | number
  | boolean
  | null
  | readonly JsonTemplate[]
  | { [key: string]: JsonTemplate };

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly Output?: JsonTemplate;
  readonly Assign?: Readonly<Record<string, JsonTemplate>>;
}

type Transition =
  | { readonly Next: string; readonly End?: never }
  | { readonly End: true; readonly Next?: never };

interface Common {
  readonly Comment?: string;
  readonly QueryLanguage?: 'JSONata';
}

interface Shaping {
  readonly Output?: JsonTemplate;
  readonly Assign?: Readonly<Record<string, JsonTemplate>>;
}

export type TaskState = Common &
  Shaping &
  Transition & {
    readonly Type: 'Task';
    readonly Resource: string;
    readonly Arguments?: JsonTemplate;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
    readonly TimeoutSeconds?: number;
  };

export interface ChoiceRule {
  readonly Condition: Jsonata;
  readonly Next: string;
  readonly Output?: JsonTemplate;
  readonly Assign?: Readonly<Record<string, JsonTemplate>>;
  readonly Comment?: string;
}

export type ChoiceState = Common &
  Shaping & {
    readonly Type: 'Choice';
    readonly Choices: readonly ChoiceRule[];
    readonly Default?: string;
  };

export type PassState = Common & Shaping & Transition & { readonly Type: 'Pass' };

export type WaitState = Common &
  Shaping &
  Transition & { readonly Type: 'Wait' } & (
    | { readonly Seconds: number | Jsonata }
    | { readonly Timestamp: Jsonata }
  );

export type SucceedState = Common & { readonly Type: 'Succeed'; readonly Output?: JsonTemplate };

export type FailState = Common & {
  readonly Type: 'Fail';
  /** A literal error name or a JSONata expression yielding one. */
  readonly Error?: string;
  readonly Cause?: string;
};

export interface StateMachineFragment {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
}

export type ParallelState = Common &
  Shaping &
  Transition & {
    readonly Type: 'Parallel';
    readonly Branches: readonly StateMachineFragment[];
    readonly Arguments?: JsonTemplate;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type MapState = Common &
  Shaping &
  Transition & {
    readonly Type: 'Map';
    readonly Items?: Jsonata | readonly JsonTemplate[];
    readonly ItemSelector?: JsonTemplate;
    readonly ItemProcessor: StateMachineFragment & {
      readonly ProcessorConfig?: { readonly Mode: 'INLINE' };
    };
    readonly MaxConcurrency?: number;
    readonly Retry?: readonly Retrier[];
    readonly Catch?: readonly Catcher[];
  };

export type State =
  | TaskState
  | ChoiceState
  | PassState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState;
export type StateType = State['Type'];

export interface StateMachineDefinition extends StateMachineFragment {
  readonly Comment?: string;
  readonly QueryLanguage: 'JSONata';
  readonly TimeoutSeconds?: number;
}

/** A state with its name and the path of enclosing Map/Parallel states, for walking nested definitions. */
export interface VisitedState {
  readonly name: string;
  readonly state: State;
  /** Names of the enclosing Map/Parallel states, outermost first. */
  readonly parents: readonly string[];
}

/** Every state of a definition, nested ones included. */
export function allStates(fragment: StateMachineFragment, parents: readonly string[] = []): VisitedState[] {
  const out: VisitedState[] = [];
  for (const [name, state] of Object.entries(fragment.States)) {
    out.push({ name, state, parents });
    if (state.Type === 'Map') out.push(...allStates(state.ItemProcessor, [...parents, name]));
    if (state.Type === 'Parallel')
      for (const b of state.Branches) out.push(...allStates(b, [...parents, name]));
  }
  return out;
}

/** The names a state can go to next (Next, Default, choice rules, catchers). */
export function successors(state: State): string[] {
  const next: string[] = [];
  if ('Next' in state && typeof state.Next === 'string') next.push(state.Next);
  if (state.Type === 'Choice') {
    for (const rule of state.Choices) next.push(rule.Next);
    if (state.Default !== undefined) next.push(state.Default);
  }
  if ((state.Type === 'Task' || state.Type === 'Map' || state.Type === 'Parallel') && state.Catch) {
    for (const c of state.Catch) next.push(c.Next);
  }
  return next;
}

export class DefinitionError extends Error {
  public constructor(machine: string, problems: readonly string[]) {
    super(`state machine ${machine} is malformed:\n  - ${problems.join('\n  - ')}`);
    this.name = 'DefinitionError';
  }
}

/**
 * Structural checks a type system cannot express: every transition names an existing state of the
 * same scope, StartAt exists, every state is reachable. Throws DefinitionError listing every problem.
 */
export function checkDefinition(machine: string, definition: StateMachineFragment): void {
  const problems: string[] = [];
  const check = (fragment: StateMachineFragment, scope: string) => {
    const names = new Set(Object.keys(fragment.States));
    if (!names.has(fragment.StartAt)) problems.push(`${scope}: StartAt "${fragment.StartAt}" is not a state`);
    const reachable = new Set<string>();
    const queue = [fragment.StartAt];
    while (queue.length > 0) {
      const name = queue.pop() as string;
      if (reachable.has(name) || !names.has(name)) continue;
      reachable.add(name);
      queue.push(...successors(fragment.States[name] as State));
    }
    for (const [name, state] of Object.entries(fragment.States)) {
      for (const target of successors(state)) {
        if (!names.has(target)) problems.push(`${scope}/${name}: transition to unknown state "${target}"`);
      }
      if (!reachable.has(name)) problems.push(`${scope}/${name}: unreachable`);
      if (state.Type === 'Map') check(state.ItemProcessor, `${scope}/${name}`);
      if (state.Type === 'Parallel') {
        for (const [i, b] of state.Branches.entries()) check(b, `${scope}/${name}[${i}]`);
      }
    }
  };
  check(definition, machine);
  if (problems.length > 0) throw new DefinitionError(machine, problems);
}
