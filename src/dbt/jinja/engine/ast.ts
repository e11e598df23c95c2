/** The syntax tree of a template: Jinja2's node set, minus inheritance and includes. */

export interface Args {
  readonly args: Expr[];
  readonly kwargs: [string, Expr][];
  readonly star?: Expr;
  readonly dstar?: Expr;
}

export type Expr = { readonly line: number } & (
  | { readonly t: 'const'; readonly value: unknown }
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'tuple' | 'list'; readonly items: Expr[] }
  | { readonly t: 'dict'; readonly pairs: [Expr, Expr][] }
  | { readonly t: 'getattr'; readonly obj: Expr; readonly name: string }
  | { readonly t: 'getitem'; readonly obj: Expr; readonly key: Expr }
  | { readonly t: 'slice'; readonly start?: Expr; readonly stop?: Expr; readonly step?: Expr }
  | ({ readonly t: 'call'; readonly fn: Expr } & Args)
  | ({ readonly t: 'filter'; readonly node?: Expr; readonly name: string } & Args)
  | ({ readonly t: 'test'; readonly node: Expr; readonly name: string } & Args)
  | { readonly t: 'bin'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly t: 'concat'; readonly items: Expr[] }
  | { readonly t: 'compare'; readonly first: Expr; readonly ops: [string, Expr][] }
  | { readonly t: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly t: 'not' | 'neg' | 'pos'; readonly node: Expr }
  | { readonly t: 'cond'; readonly test: Expr; readonly body: Expr; readonly else_?: Expr }
);

/** An assignment target: a name, a tuple of targets, or `ns.attr` (set only). */
export type Target =
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'tuple'; readonly items: Target[] }
  | { readonly t: 'nsattr'; readonly name: string; readonly attr: string };

export interface MacroNode {
  readonly name: string;
  readonly params: [string, Expr | undefined][];
  readonly body: Stmt[];
  /** Names the body reads: decides whether it takes varargs, kwargs, caller (as Jinja2 does). */
  readonly reads: ReadonlySet<string>;
}

export type Stmt = { readonly line: number } & (
  | { readonly t: 'data'; readonly text: string }
  | { readonly t: 'print'; readonly expr: Expr }
  | { readonly t: 'if'; readonly branches: [Expr, Stmt[]][]; readonly else_: Stmt[] }
  | {
      readonly t: 'for';
      readonly target: Target;
      readonly iter: Expr;
      readonly filter?: Expr;
      readonly body: Stmt[];
      readonly else_: Stmt[];
    }
  | { readonly t: 'set'; readonly target: Target; readonly expr: Expr }
  | { readonly t: 'setblock'; readonly target: Target; readonly body: Stmt[]; readonly filter?: Expr }
  | ({ readonly t: 'macro' } & MacroNode)
  | { readonly t: 'callblock'; readonly call: Expr; readonly caller: MacroNode }
  | { readonly t: 'filterblock'; readonly filter: Expr; readonly body: Stmt[] }
  | { readonly t: 'do'; readonly expr: Expr }
  | { readonly t: 'with'; readonly assigns: [Target, Expr][]; readonly body: Stmt[] }
);
