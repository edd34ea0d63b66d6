/// <reference lib="dom" />
// A report page opened in the real, headless Chromium from Debian (driven by playwright-core,
// which never downloads a browser), with every page error and failed request collected.
import { existsSync } from "node:fs";
import { isHidden } from "../../src/lab/harness/hidden-tools.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Why a browser test cannot run here, or false when it can. */
export const noBrowser =
  (isHidden("chromium") || !existsSync(CHROMIUM)) &&
  "Chromium is not installed (Debian: apt-get install chromium)";

export interface OpenPage {
  /** Charts drawn, and each chart's bars or points drawn (html.ts marks the body with these). */
  charts: number;
  items: Record<string, number>;
  /** Each chart's marks (the peak, the horizon) drawn where their value lies on its axis. */
  marks: Record<string, number>;
  /** Drawn pixels on each canvas, in page order: a chart that failed to draw leaves it blank. */
  inked: number[];
  /** Page errors, console errors and failed requests. */
  problems: string[];
}

/** Opens `file` at `width` px, waits for its charts, and reads what was drawn. */
export async function openPage(file: string, width = 1280): Promise<OpenPage> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
      ...["--disable-background-networking", "--disable-component-update", "--disable-sync"],
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("requestfailed", (r) => problems.push(`request to ${r.url()} failed`));
    await page.goto(`file://${file}`);
    await page.waitForSelector("body[data-charts-drawn]", { timeout: 10_000 });
    return {
      charts: Number(await page.evaluate(() => document.body.dataset.chartsDrawn)),
      items: JSON.parse((await page.evaluate(() => document.body.dataset.chartItems)) ?? "{}"),
      marks: JSON.parse((await page.evaluate(() => document.body.dataset.chartMarks)) ?? "{}"),
      inked: await page.evaluate(() =>
        [...document.querySelectorAll("canvas")].map((c) => {
          const ctx = c.getContext("2d") as CanvasRenderingContext2D;
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
          return n;
        }),
      ),
      problems,
    };
  } finally {
    await browser.close();
  }
}
