import { expect } from "chai";
import { readFileSync } from "node:fs";
import { renderReportHtml } from "../../src/report/html.js";
import { reportSchema } from "../../src/report/schema.js";

describe("report: docs/report.md", function () {
  it("should hold an example that matches the schema and renders", function () {
    const doc = readFileSync(new URL("../../docs/report.md", import.meta.url), "utf8");
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)];
    expect(blocks).to.have.length(1);
    const example = reportSchema.parse(JSON.parse(blocks[0]![1]!));
    expect(example.load.importKw).to.have.length(4);
    const net = example.settlement.net.reduce((s, n) => s + BigInt(n.net), 0n);
    expect(net).to.equal(0n);
    expect(renderReportHtml(example)).to.include('data-testid="load-chart"');
  });

  it("should describe every top-level field of the schema", function () {
    const doc = readFileSync(new URL("../../docs/report.md", import.meta.url), "utf8");
    for (const field of Object.keys(reportSchema.shape)) expect(doc, field).to.include(`| \`${field}`);
  });
});
