import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * "No import cycles": dependencies point one way (docs/architecture.md). eslint's import-x/no-cycle
 * skips `import type`, so a cycle made only of type imports passes lint; this graph counts every
 * import the source names (type-only ones, re-exports, `import()` calls and `import('…')` types).
 */
const ROOT = resolve(import.meta.dirname, '../..');

type Graph = Map<string, Set<string>>;

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier the file names, whether the import survives compilation or not. */
function specifiersOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const literal = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) found.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) literal(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) literal(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The .ts file a relative specifier names: './x.js' is the source './x.ts' (NodeNext), or a folder's index.ts. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The import graph of the files under `dir`, and of the repository's files they reach (config/, say). */
function importGraph(dir: string): { graph: Graph; unresolved: string[] } {
  const graph: Graph = new Map();
  const unresolved: string[] = [];
  const todo = tsFilesUnder(dir);
  while (todo.length) {
    const file = todo.pop()!;
    if (graph.has(file)) continue;
    const edges = new Set<string>();
    graph.set(file, edges);
    for (const specifier of specifiersOf(file, readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue; // a package: it cannot import our files back
      const target = resolveSpecifier(file, specifier);
      if (!target) unresolved.push(`${relative(ROOT, file)}: '${specifier}'`);
      else if (target.endsWith('.ts')) {
        edges.add(target);
        todo.push(target);
      }
    }
  }
  return { graph, unresolved };
}

/** Strongly connected components (Tarjan): each one of more than one file, or a file importing itself, holds cycles. */
function tangles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return found;
}

/** A shortest cycle through `start` inside its component (breadth first), as the files in import order. */
function shortestCycle(graph: Graph, component: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0])!);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** One shortest cycle through each file of each component, told once each, as `a → b → a`. */
function describeCycles(graph: Graph, name = (file: string) => relative(ROOT, file)): string[] {
  const seen = new Set<string>();
  for (const component of tangles(graph)) {
    const members = new Set(component);
    for (const start of component) {
      const cycle = shortestCycle(graph, members, start).slice(0, -1);
      const first = cycle.indexOf([...cycle].sort()[0]);
      const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
      seen.add([...rotated, rotated[0]].map(name).join(' → '));
    }
  }
  return [...seen].sort();
}

describe('import cycles', () => {
  it('finds the cycles of a small graph', () => {
    const g: Graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c', 'a'])],
      ['c', new Set(['a'])],
      ['d', new Set(['d', 'a'])],
      ['e', new Set(['a'])],
    ]);
    assert.deepEqual(tangles(g), [['a', 'b', 'c'], ['d']]);
    assert.deepEqual(
      describeCycles(g, (f) => f),
      ['a → b → a', 'a → b → c → a', 'd → d'],
    );
  });

  it('reads every kind of import a file can name, type-only ones too', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C } from './c.js';",
      "import './d.js';",
      "export { e } from './e.js';",
      "export type { F } from './f.js';",
      "export * from './g.js';",
      "let h: import('./h.js').H;",
      "const i = await import('./i.js');",
      "import j = require('./j.js');",
    ].join('\n');
    assert.deepEqual(specifiersOf('x.ts', text), ['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js', './g.js', './h.js', './i.js', './j.js']);
    const { graph } = importGraph(join(ROOT, 'app/simulators/xendit'));
    const billing = graph.get(join(ROOT, 'app/simulators/xendit/billing.ts'));
    assert.ok(billing?.has(join(ROOT, 'app/simulators/xendit/state.ts')), 'billing.ts imports only types of state.ts, and that is an edge');
  });

  it('app/ has none: dependencies point one way (docs/architecture.md)', () => {
    const { graph, unresolved } = importGraph(join(ROOT, 'app'));
    assert.deepEqual(unresolved, [], 'every relative import names a file');
    assert.ok(graph.size > 300, `read ${graph.size} files`);
    const cycles = describeCycles(graph);
    assert.ok(cycles.length === 0, `${cycles.length} import cycles (import type counts too):\n${cycles.join('\n')}`);
  });
});
