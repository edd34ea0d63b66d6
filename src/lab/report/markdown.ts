// The Markdown writer of the report model. Charts are left to the HTML page, and named where
// they stand: a Markdown reader sees the same numbers in the tables beside them.
import type { Block, Report, Table } from "./model.ts";

export function mdTable({ header, rows }: Table): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function block(b: Block): string {
  switch (b.kind) {
    case "text":
      return b.text;
    case "list":
      return b.items.map((i) => `- ${i}`).join("\n");
    case "table":
      return mdTable(b.table);
    case "charts":
      return `_Drawn in the HTML page: ${b.charts.map((c) => c.title).join("; ")}._`;
  }
}

export function renderMarkdown(report: Report): string {
  const parts = [`# ${report.title}`];
  const add = (blocks: Block[]) => {
    for (const b of blocks) parts.push(block(b));
  };
  add(report.intro);
  for (const s of report.sections) {
    parts.push(`${"#".repeat(s.depth)} ${s.title}`);
    add(s.blocks);
  }
  return `${parts.join("\n\n")}\n`;
}
