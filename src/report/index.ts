/** Public API of the report: its schema, the HTML page, and its files. */
export * from "./errors.js";
export { renderReportHtml, reportTitle } from "./html.js";
export * from "./schema.js";
export * from "./write.js";
