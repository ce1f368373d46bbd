// ESLint for the dashboard: typescript-eslint's recommended rules, the rules of hooks, and the
// import boundaries between features (README "Lint rules").
import { readdirSync } from "node:fs";
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Every folder of src/features, so a new feature is fenced in without editing this file. */
const FEATURES = readdirSync(new URL("./src/features", import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/**
 * Modules a feature may import from another feature. Empty on purpose: a piece two features need
 * moves to `src/components` or `src/lib`. An entry here is a documented exception, e.g.
 * `{ from: "scripts", allow: "@/features/commands/public" }` with a comment saying why.
 */
const CROSS_FEATURE_EXCEPTIONS = [
  // A registry operation is a command: its answer arrives in the command's cache, which live
  // command events keep fresh, so the registry browser reads it through the commands' own hooks.
  // The folder is listed too: a pattern cannot re-include a file inside an excluded folder.
  { from: "registry", allow: "@/features/commands/api" },
  { from: "registry", allow: "@/features/commands/api/commands" },
];

/** Imports that would reach into another feature, for a file of `feature`. */
function otherFeaturesPatterns(feature) {
  const allowed = CROSS_FEATURE_EXCEPTIONS.filter((exception) => exception.from === feature).map((exception) => `!${exception.allow}`);
  return [
    {
      group: [...FEATURES.filter((other) => other !== feature).map((other) => `@/features/${other}/**`), ...allowed],
      message: "Features do not import each other: compose them in src/app/routes, or move the shared piece to src/components or src/lib.",
    },
    {
      // Two levels up from inside a feature leaves it; inside a feature use "../" or "@/features/<same>".
      group: ["../../*"],
      message: "Do not leave the feature with a relative path; import shared code through @/components or @/lib.",
    },
  ];
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test-results/", "src/api/schema.d.ts"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "Property[key.name='queryKey'] > ArrayExpression",
          message: "Build query keys with the feature's key factory (features/<feature>/api), rooted in @/api/query-keys.",
        },
      ],
    },
  },
  ...FEATURES.map((feature) => ({
    files: [`src/features/${feature}/**/*.{ts,tsx}`],
    rules: { "no-restricted-imports": ["error", { patterns: otherFeaturesPatterns(feature) }] },
  })),
  {
    // Shared code sits below the features: it never knows about one.
    files: ["src/components/**/*.{ts,tsx}", "src/lib/**/*.{ts,tsx}", "src/hooks/**/*.{ts,tsx}", "src/test/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@/features/**", "@/app/**"], message: "Shared code must not depend on a feature or the app." }] },
      ],
    },
  },
  {
    files: ["src/**/*.test.{ts,tsx}", "src/test/**/*.{ts,tsx}", "e2e/**/*.ts"],
    languageOptions: { globals: { ...globals.vitest } },
  },
);
