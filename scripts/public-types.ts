/**
 * Checks the package's declarations the way a user's compiler sees them: every type that a
 * public entry's signatures name must itself be exported by a public entry, or users cannot
 * name it (write a variable's type, a helper's parameter) without a deep import. Generic type
 * aliases (type-level functions such as `InputOf<F>`) are exempt: the compiler expands them, so a
 * user never has to name one. `typeof` queries name values, not types, and are skipped too.
 */
import ts from "typescript";
import { relative } from "node:path";

export interface ForgottenType {
  /** The type's name and the declaration file it comes from. */
  type: string;
  /** The exported name whose signature uses it. */
  usedBy: string;
}

/** The types the entries' exported declarations use but no entry exports. */
export function forgottenTypes(entries: readonly string[], packageDir: string, compilerOptions: ts.CompilerOptions): ForgottenType[] {
  const program = ts.createProgram(entries, { ...compilerOptions, noEmit: true });
  const checker = program.getTypeChecker();
  const resolveAlias = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const ours = (s: ts.Symbol) => (s.declarations ?? []).some((d) => !relative(packageDir, d.getSourceFile().fileName).startsWith(".."));

  const exported = new Map<ts.Symbol, string>();
  for (const entry of entries) {
    const source = program.getSourceFile(entry);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`cannot read the declarations of ${entry}`);
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) exported.set(resolveAlias(symbol), symbol.name);
  }

  const isTypeFunction = (s: ts.Symbol) =>
    (s.declarations ?? []).every((d) => ts.isTypeAliasDeclaration(d) && (d.typeParameters?.length ?? 0) > 0);
  const forgotten = new Map<string, ForgottenType>();
  const visit = (node: ts.Node, usedBy: string): void => {
    const name = ts.isTypeReferenceNode(node) ? node.typeName : ts.isExpressionWithTypeArguments(node) ? node.expression : undefined;
    const symbol = name && checker.getSymbolAtLocation(name);
    if (symbol) {
      const target = resolveAlias(symbol);
      if (!(target.flags & ts.SymbolFlags.TypeParameter) && !isTypeFunction(target) && ours(target) && !exported.has(target)) {
        const file = relative(packageDir, target.declarations![0]!.getSourceFile().fileName);
        forgotten.set(`${target.name} ${usedBy}`, { type: `${target.name} (${file})`, usedBy });
      }
    }
    ts.forEachChild(node, (child) => visit(child, usedBy));
  };
  for (const [symbol, name] of exported) for (const declaration of symbol.declarations ?? []) visit(declaration, name);
  return [...forgotten.values()];
}
