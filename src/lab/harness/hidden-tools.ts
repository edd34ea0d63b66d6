// NEEDADB_HIDE_TOOLS=wrk,chromium,fuse makes the lab behave as on a machine without those
// system tools, so CI can prove that a bare machine with only Node passes every test. Each
// tool's own check still runs when the tool is not hidden.

export type SystemTool = "wrk" | "chromium" | "fuse";

export function isHidden(tool: SystemTool): boolean {
  return (process.env.NEEDADB_HIDE_TOOLS ?? "")
    .split(",")
    .map((t) => t.trim())
    .includes(tool);
}
