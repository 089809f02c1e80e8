import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One import in the source: from a file (relative to the repository) to a module specifier or a file. */
interface ImportEdge {
  from: string;
  /** The file imported (relative to the repository), or the package name for a bare specifier. */
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const clause = node.exportClause;
    return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((element) => element.isTypeOnly);
  }
  const clause = node.importClause;
  if (clause === undefined) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** Every import of a file: static, re-exports, dynamic `import()` and `typeof import()` types. */
function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean) => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier)) return;
    const name = specifier.text;
    const to = name.startsWith('.') ? relative(root, resolve(root, dirname(file), name)).replace(/\.js$/, '.ts') : name;
    edges.push({ from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, isTypeOnly(node));
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, isTypeOnly(node));
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], false);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal, true);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const files = [...sourceFiles('src'), ...sourceFiles('workflows')].map((file) => file.split('\\').join('/'));
const edges = files.flatMap(importsOf);
const localEdges = edges.filter((edge) => files.includes(edge.to));

/**
 * Layers, top to bottom: a module may import its own layer and those below, never one above.
 * errors, numbers and version sit at src/'s root as leaves beside src/shared.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['src/index.ts'],
  ['src/cli/'],
  ['src/run/'],
  // the distributed run's pure parts (slices, heartbeats, outcomes): below the run layer that drives them
  ['src/agents/'],
  ['src/report/'],
  ['src/scheduler/', 'src/schedules/', 'src/capacity/'],
  ['src/workloads/'],
  ['src/temporal/'],
  ['workflows/'],
  ['src/metrics/'],
  ['src/shared/', 'src/errors.ts', 'src/numbers.ts', 'src/version.ts'],
];

function layerOf(file: string): number {
  const layer = LAYERS.findIndex((prefixes) => prefixes.some((prefix) => file === prefix || (prefix.endsWith('/') && file.startsWith(prefix))));
  if (layer < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS in test/unit/architecture.test.ts`);
  return layer;
}

/** Workflow code may read the activities' types from src/temporal (they run on the worker beside it). */
function isWorkflowActivityTypes(edge: ImportEdge): boolean {
  return edge.typeOnly && edge.from.startsWith('workflows/') && edge.to === 'src/temporal/activities.ts';
}

/** Import cycles between files, each as the path that closes it (a → b → … → a). */
function cyclesOf(graphEdges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of graphEdges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const walk = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const target of next.get(file) ?? []) {
      if (state.get(target) === 'open') cycles.push([...path.slice(path.indexOf(target)), target]);
      else if (state.get(target) === undefined) walk(target);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) if (state.get(file) === undefined) walk(file);
  return cycles;
}

const describeEdge = (edge: ImportEdge) => `${edge.from} imports ${edge.to}${edge.typeOnly ? ' (types)' : ''}`;

describe('architecture: the import graph of src/ and workflows/', () => {
  it('reads the imports it checks (static, dynamic and type-only)', () => {
    expect(files).toContain('src/scheduler/scheduler-service.ts');
    expect(localEdges.length).toBeGreaterThan(100);
    expect(edges.some((edge) => edge.from === 'src/temporal/dev-server.ts' && edge.to === '@temporalio/worker' && !edge.typeOnly)).toBe(true);
    expect(localEdges.some((edge) => edge.typeOnly)).toBe(true);
    // every relative import resolves to a file of the graph
    expect(edges.filter((edge) => edge.to.startsWith('src/') || edge.to.startsWith('workflows/')).filter((edge) => !files.includes(edge.to)).map(describeEdge)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(cyclesOf(localEdges).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('has no import cycle between folders (e.g. metrics <-> scheduler)', () => {
    const folderOf = (file: string) => file.split('/').slice(0, file.startsWith('src/') ? 2 : 1).join('/').replace(/\.ts$/, '');
    // workflows/ reading the activities' types is the one allowed edge back (see isWorkflowActivityTypes)
    const folderEdges = localEdges.filter((edge) => !isWorkflowActivityTypes(edge)).map((edge) => ({ ...edge, from: folderOf(edge.from), to: folderOf(edge.to) })).filter((edge) => edge.from !== edge.to);
    expect(cyclesOf(folderEdges).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const typeEdge = (from: string, to: string): ImportEdge => ({ from, to, typeOnly: true });
    expect(cyclesOf([typeEdge('a', 'b'), typeEdge('b', 'c'), typeEdge('c', 'a')])).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('flags an upward import (the layer check can fail)', () => {
    const upward = (from: string, to: string) => layerOf(to) < layerOf(from);
    expect(upward('src/metrics/run-counters.ts', 'src/scheduler/types.ts')).toBe(true);
    expect(upward('src/temporal/temporal-service.ts', 'src/scheduler/backoff.ts')).toBe(true);
    expect(upward('src/report/lines.ts', 'src/run/session.ts')).toBe(true);
    expect(upward('src/scheduler/scheduler-service.ts', 'src/schedules/fire-times.ts')).toBe(false); // one layer
    expect(upward('src/cli/main.ts', 'src/shared/run-stats.ts')).toBe(false);
    expect(() => layerOf('src/elsewhere/x.ts')).toThrow(/in no layer/);
  });

  it('only src/temporal and workflows/ import @temporalio/*', () => {
    const outside = edges.filter((edge) => edge.to.startsWith('@temporalio/') && !edge.from.startsWith('src/temporal/') && !edge.from.startsWith('workflows/'));
    expect(outside.map(describeEdge)).toEqual([]);
  });

  it('the load generator and the schedule arithmetic are pure: src/scheduler, src/schedules and src/workloads import nothing of src/temporal', () => {
    const impure = localEdges.filter((edge) => /^src\/(scheduler|schedules|workloads)\//.test(edge.from) && edge.to.startsWith('src/temporal/'));
    expect(impure.map(describeEdge)).toEqual([]);
  });

  it('no module imports one of a higher layer (cli > run > report > scheduler, schedules > workloads > temporal > workflows > metrics > shared)', () => {
    const upward = localEdges.filter((edge) => !isWorkflowActivityTypes(edge) && layerOf(edge.to) < layerOf(edge.from));
    expect(upward.map(describeEdge)).toEqual([]);
  });
});
