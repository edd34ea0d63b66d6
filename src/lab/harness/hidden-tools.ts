// NEEDADB_HIDE_TOOLS=wrk,chromium,fuse,patroni makes the lab behave as on a machine without
// those system tools (patroni: the whole HA stack of the failover lab), so CI can prove that
// a bare machine with only Node passes every test. Each tool's own check still runs when the
// tool is not hidden.

export type SystemTool = "wrk" | "chromium" | "fuse" | "patroni";

export function isHidden(tool: SystemTool): boolean {
  return (process.env.NEEDADB_HIDE_TOOLS ?? "")
    .split(",")
    .map((t) => t.trim())
    .includes(tool);
}
