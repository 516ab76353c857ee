/**
 * The layering rules of DESIGN §2 as code: who may import whom. `test/unit/layering.test.ts` fails on
 * any violation and `scripts/structure-report.ts` counts them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

export interface ImportEdge {
  from: string;
  /** A repository path ("src/model/rolloutSteps.ts") or a package name ("zod", "node:fs"). */
  to: string;
  typeOnly: boolean;
}

export interface Violation extends ImportEdge {
  rule: string;
}

/** Every .ts file under the given top-level folders, as repository paths. */
export function sourceFiles(folders: string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) return name === 'node_modules' ? [] : walk(path);
      return path.endsWith('.ts') ? [path] : [];
    });
  return folders.flatMap(walk).sort();
}

function resolveSpecifier(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) {
    const parts = specifier.split('/');
    return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  }
  const base = normalize(join(dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    try {
      if (statSync(join(ROOT, candidate)).isFile()) return relative('.', candidate);
    } catch {
      // try the next spelling
    }
  }
  return base;
}

/** Static imports, re-exports, require() and import() calls of one file. */
export function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) =>
    edges.push({ from: file, to: resolveSpecifier(file, specifier), typeOnly });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : undefined;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly || (!clause.name && !!named && named.elements.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal.text, true);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0]!)
    ) {
      add((node.arguments[0] as ts.StringLiteral).text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const isRepoPath = (path: string) => /^(src|workflows|activities|workers|scripts|test)\//.test(path);

/** Packages that workflow-safe code may use: pure, deterministic, no I/O. */
const MODEL_PACKAGES = new Set(['zod', '@temporalio/common']);
/** What workflow code may import for its values (type-only imports of activities are also fine). */
const WORKFLOW_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common', 'zod']);

type Rule = { name: string; applies: (edge: ImportEdge) => boolean; allowed: (edge: ImportEdge) => boolean };

const RULES: Rule[] = [
  {
    name: 'src/model imports only src/model, src/errors.ts and pure packages (it runs inside workflows)',
    applies: (edge) => under(edge.from, 'src/model'),
    allowed: (edge) => under(edge.to, 'src/model') || edge.to === 'src/errors.ts' || MODEL_PACKAGES.has(edge.to),
  },
  {
    name: 'workflows/ imports @temporalio/workflow, src/model, other workflows, and activities as types only',
    applies: (edge) => under(edge.from, 'workflows'),
    allowed: (edge) =>
      WORKFLOW_PACKAGES.has(edge.to) ||
      under(edge.to, 'src/model') ||
      under(edge.to, 'workflows') ||
      (edge.typeOnly && under(edge.to, 'activities')),
  },
  {
    name: 'only src/control and src/cli reach workflows/, activities/ and workers/ from src',
    applies: (edge) => under(edge.from, 'src') && !under(edge.from, 'src/control') && !under(edge.from, 'src/cli'),
    allowed: (edge) => !['workflows', 'activities', 'workers'].some((folder) => under(edge.to, folder)),
  },
  {
    name: 'the Temporal client connection is used by src/control and src/cli only',
    applies: (edge) =>
      under(edge.from, 'src') && !['src/control', 'src/cli', 'src/temporal'].some((folder) => under(edge.from, folder)),
    allowed: (edge) => !under(edge.to, 'src/temporal'),
  },
  {
    name: 'src/control (client operations) is used by the CLI only',
    applies: (edge) => under(edge.from, 'src') && !under(edge.from, 'src/control') && !under(edge.from, 'src/cli'),
    allowed: (edge) => !under(edge.to, 'src/control'),
  },
];

export function layerViolations(edges: ImportEdge[]): Violation[] {
  return edges.flatMap((edge) =>
    RULES.filter((rule) => rule.applies(edge) && !rule.allowed(edge)).map((rule) => ({ ...edge, rule: rule.name })),
  );
}

/** Import cycles inside the repository (type imports included: a circle is hard to read either way). */
export function importCycles(edges: ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const edge of edges) {
    if (!isRepoPath(edge.to)) continue;
    graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to]);
  }
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        cycles.set([...cycle].sort().join(' '), cycle);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return [...cycles.values()];
}

/** `require()` calls outside `lazy(() => require(...))`, the one sanctioned way to load a module late. */
export function bareRequires(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const insideLazy = (node: ts.Node): boolean => {
    for (let at = node.parent; at; at = at.parent) {
      if (ts.isCallExpression(at) && ts.isIdentifier(at.expression) && at.expression.text === 'lazy') return true;
    }
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      !insideLazy(node)
    ) {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
