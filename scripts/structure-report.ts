/**
 * Numbers that show how the code reads: the longest functions, lines over 120 characters, imports
 * that run back up the layers and import cycles (`test/unit/layering.test.ts` fails on any of the last two).
 *
 *   npx tsx scripts/structure-report.ts [--json]
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { importCycles, importsOf, layerViolations, sourceFiles } from '../test/harness/layers';

const CODE_FOLDERS = ['src', 'workflows', 'activities', 'workers'];
const ALL_FOLDERS = [...CODE_FOLDERS, 'scripts', 'test'];

interface FunctionLength {
  file: string;
  name: string;
  lines: number;
}

function functionLengths(file: string): FunctionLength[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const named = (node as ts.FunctionLikeDeclaration).name;
      const holder = ts.isVariableDeclaration(node.parent) ? node.parent.name : undefined;
      const name = (named ?? holder)?.getText(source) ?? '(anonymous)';
      found.push({ file, name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const codeFiles = sourceFiles(CODE_FOLDERS);
const longest = codeFiles
  .flatMap(functionLengths)
  .sort((a, b) => b.lines - a.lines)
  .slice(0, 5);
const longLines = sourceFiles(ALL_FOLDERS).reduce(
  (sum, file) =>
    sum +
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 120).length,
  0,
);
const edges = codeFiles.flatMap(importsOf);
const violations = layerViolations(edges);
const cycles = importCycles(edges);

const report = { longestFunctions: longest, linesOver120: longLines, backUpImports: violations, importCycles: cycles };
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log('longest functions:');
  for (const f of longest) console.log(`  ${String(f.lines).padStart(4)} lines  ${f.name}  (${f.file})`);
  console.log(`lines over 120 characters (src, workflows, activities, workers, scripts, test): ${longLines}`);
  console.log(`imports that run back up the layers: ${violations.length}`);
  for (const v of violations) console.log(`  ${v.from} -> ${v.to}: ${v.rule}`);
  console.log(`import cycles: ${cycles.length}`);
  for (const cycle of cycles) console.log(`  ${cycle.join(' -> ')}`);
}
