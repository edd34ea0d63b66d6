// How many answers an HTTP server has finished, for the process that started it: the lab
// samples it every quarter second to draw each cell's throughput over time, the same way
// whatever load generator runs (wrk's Lua has no cheap per-second hook, and autocannon's
// ticks are its own). It travels over the IPC channel the lab opens when it spawns the
// server, so sampling adds no HTTP request, and no call into the store, to what is measured.
import type { Server } from "node:http";

/** What the lab sends to ask, and the type of the answer. */
export const ASK_ANSWERED = "needadb:answered?";
export const ANSWERED = "needadb:answered";

/**
 * Answers ASK_ANSWERED messages with `answered()`. Does nothing in a process without an IPC
 * channel (a server a user started by hand). The API server's count is its connection
 * drain's (lib/http/http-drain.ts), which already watches every answer finish.
 */
export function reportAnswers(answered: () => number): void {
  const send = process.send?.bind(process);
  if (!send) return;
  process.on("message", (m: { type?: string }) => {
    if (m?.type === ASK_ANSWERED) send({ type: ANSWERED, answered: answered() });
  });
  // The channel must not keep the process alive: a stop still ends it.
  process.channel?.unref();
}

/** A count of the answers `server` finishes, for a server without a drain. */
export function countAnswers(server: Server): () => number {
  let answered = 0;
  const counted = () => answered++;
  server.on("request", (_req, res) => res.once("finish", counted));
  return () => answered;
}
