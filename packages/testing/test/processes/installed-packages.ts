// Builds @reprise/core, store-sqlite and testing into a throwaway project laid out as npm installs them
// (node_modules/@reprise/<name>/{package.json,dist}), so a child process loads them as a user would.
// It never writes into the repository: the packages' own dist/ folders are left alone.
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const PACKAGES = fileURLToPath(new URL("../../../", import.meta.url));
const BUILT = ["core", "store-sqlite", "testing"] as const;

interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/**
 * Creates a project directory whose node_modules holds the three packages compiled from their sources (the
 * same JavaScript `pnpm build` emits: every file is compiled on its own, as `isolatedModules` guarantees) and
 * links to the third-party packages they import (including fast-check, which @reprise/testing takes as a peer).
 */
export function installedPackagesProject(): string {
  const project = mkdtempSync(join(tmpdir(), "reprise-installed-"));
  const modules = join(project, "node_modules");
  const compilerOptions = readCompilerOptions();
  const linked = new Set<string>();
  for (const name of BUILT) {
    const source = join(PACKAGES, name);
    const target = join(modules, "@reprise", name);
    mkdirSync(target, { recursive: true });
    cpSync(join(source, "package.json"), join(target, "package.json"));
    for (const file of typeScriptFiles(join(source, "src"))) {
      const output = ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions, fileName: file });
      const destination = join(target, "dist", relative(join(source, "src"), file).replace(/\.ts$/, ".js"));
      mkdirSync(dirname(destination), { recursive: true });
      writeFileSync(destination, output.outputText);
    }
    const manifest = JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as Manifest;
    const wanted = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const dependency of Object.keys(wanted)) {
      if (dependency.startsWith("@reprise/") || linked.has(dependency) || dependency === "vitest") continue;
      const installed = realpathSync(join(source, "node_modules", dependency));
      mkdirSync(dirname(join(modules, dependency)), { recursive: true });
      symlinkSync(installed, join(modules, dependency), "dir");
      linked.add(dependency);
    }
  }
  return project;
}

function readCompilerOptions(): ts.CompilerOptions {
  const configFile = join(PACKAGES, "testing", "tsconfig.build.json");
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic },
  );
  if (parsed === undefined) throw new Error(`cannot read ${configFile}`);
  // Every package is "type": "module", so NodeNext emits ES modules; transpileModule cannot see package.json.
  return {
    ...parsed.options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    declaration: false,
    sourceMap: false,
  };
}

function onUnRecoverableConfigFileDiagnostic(diagnostic: ts.Diagnostic): void {
  throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
}

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}
