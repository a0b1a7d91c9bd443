// The inspector's front end: one HTML shell, one script and one stylesheet from packages/cli/assets, read once.
// The shell gets only two server values (base path and CSRF secret), HTML-escaped; no run data is ever inlined.
import { readFileSync } from "node:fs";

/** The files of the front end, loaded into memory. */
export interface InspectorAssets {
  readonly html: string;
  readonly script: string;
  readonly stylesheet: string;
}

/** assets/ sits next to src/ and dist/, so the same relative path works from sources and from the build. */
const ASSETS_URL = new URL("../../assets/", import.meta.url);

let cached: InspectorAssets | undefined;

/**
 * Reads the front-end files (once per process).
 *
 * @example
 * const { script } = loadAssets();
 */
export function loadAssets(): InspectorAssets {
  cached ??= {
    html: readFileSync(new URL("inspector.html", ASSETS_URL), "utf8"),
    script: readFileSync(new URL("inspector.js", ASSETS_URL), "utf8"),
    stylesheet: readFileSync(new URL("inspector.css", ASSETS_URL), "utf8"),
  };
  return cached;
}

/**
 * The HTML shell with the base path and CSRF secret filled in.
 *
 * @example
 * sendBody(res, 200, "text/html; charset=utf-8", renderShell(loadAssets(), "/reprise", policy.csrfToken));
 */
export function renderShell(assets: InspectorAssets, basePath: string, csrfToken: string): string {
  return assets.html.replaceAll("{{base}}", escapeHtml(basePath)).replaceAll("{{csrf}}", escapeHtml(csrfToken));
}

/**
 * Escapes text for HTML element content and double-quoted attributes.
 *
 * @example
 * escapeHtml('<script>"x"</script>'); // "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
