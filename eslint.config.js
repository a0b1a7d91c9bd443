// Lint rules that matter for a durable-execution engine: awaited promises, type-only imports, no cycles,
// and no wall-clock access in core outside clock.ts (replay must not depend on the time it runs).
import eslint from "@eslint/js";
import importX from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/*.db*"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "import-x": importX },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/require-await": "off",
      "import-x/no-cycle": "error",
      // A workflow with no commands is valid (it simply returns), so generators without yield are allowed.
      "require-yield": "off",
    },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/clock.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "Read time through the engine's Clock (clock.ts)." },
      ],
      "no-restricted-globals": [
        "error",
        { name: "setTimeout", message: "Arm timers through the engine's Clock (clock.ts)." },
        { name: "setInterval", message: "Arm timers through the engine's Clock (clock.ts)." },
      ],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
