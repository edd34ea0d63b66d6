// The one model every report is built in: titled sections of text, lists, tables and
// charts, made from results alone. report.md and report.html are two writers of the same
// model (markdown.ts, html.ts), so they cannot drift apart. Text may use `code` and **bold**,
// which both writers render.

export interface Table {
  header: string[];
  rows: string[][];
}

export interface Series {
  label: string;
  /** One value per label, or a range [from, to] drawn as a floating bar (a band). */
  data: (number | [number, number] | null)[];
  color: string;
  /** Drawn as a line over a bar chart, such as a ceiling; dashed when `dash` is given. */
  line?: boolean;
  dash?: number[];
}

/** A value marked across a chart on its value axis: the app's peak, its horizon. */
export interface Mark {
  label: string;
  value: number;
  color: string;
}

export interface Chart {
  /** Unique within the report: the canvas's id. */
  id: string;
  /** "hbar": one horizontal bar per label, read along the value axis. */
  kind: "bar" | "line" | "hbar";
  title: string;
  /** What the chart shows, for readers who cannot see it. */
  description: string;
  /** The value axis's title; it is logarithmic unless `scale` says linear. */
  axis: string;
  scale?: "log" | "linear";
  labels: string[];
  series: Series[];
  marks?: Mark[];
}

export type Block =
  | { kind: "text"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "table"; table: Table }
  | { kind: "charts"; charts: Chart[] };

export interface Section {
  title: string;
  /** 2 for a section, 3 for a part of the one before. */
  depth: 2 | 3;
  blocks: Block[];
}

export interface Report {
  title: string;
  /** Before the first section: how the run was made. */
  intro: Block[];
  sections: Section[];
}

export const text = (t: string): Block => ({ kind: "text", text: t });
export const list = (items: string[]): Block => ({ kind: "list", items });
export const table = (header: string[], rows: string[][]): Block => ({
  kind: "table",
  table: { header, rows },
});
export const charts = (cs: Chart[]): Block[] => (cs.length ? [{ kind: "charts", charts: cs }] : []);

export function section(title: string, blocks: Block[], depth: 2 | 3 = 2): Section {
  return { title, depth, blocks };
}

/** Lines as the analysis writes them: "- " lines become one list, the others paragraphs. */
export function fromLines(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  for (const line of lines) {
    const last = blocks.at(-1);
    if (!line.startsWith("- ")) blocks.push(text(line));
    else if (last?.kind === "list") last.items.push(line.slice(2));
    else blocks.push(list([line.slice(2)]));
  }
  return blocks;
}
