/** Pieces every section of the HTML report uses: escaping, data for a <script>, the configuration table. */

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** JSON for a <script> element: `<` escaped so no text can close the element. */
export const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** The resolved configuration (already redacted in the result), one row per option. */
export function configTable(result: { config: Record<string, unknown> }): string {
  const rows = Object.entries(result.config).map(
    ([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}</td></tr>`,
  );
  return `<table class="kv">${rows.join('')}</table>`;
}
