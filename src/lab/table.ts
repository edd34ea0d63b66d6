/** A table as data, so that report.md and report.html draw the same rows. */
export interface Table {
  header: string[];
  rows: string[][];
}

/** A Markdown table. Cells may use `code` and **bold**, which the HTML report also renders. */
export function mdTable({ header, rows }: Table): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}
