// A graceful stop for a node:http server that resets no request a client has already sent.
//
// Node's server.close() closes every idle keep-alive connection at once (closeIdleConnections,
// since Node 19), as Go's Shutdown and nginx do. But "idle" is only what the server has seen:
// a client that has just read an answer may already have written its next request, which is
// then in flight towards a socket the server destroys. That client gets ECONNRESET for a POST
// it cannot safely send again. So this drains the way Envoy does instead:
//
// - The listener closes at once: no new connections.
// - Every answer from then on carries `Connection: close`, so a connection ends after the
//   request it is serving, and its client knows not to send another on it.
// - A connection that is idle stays open for a while, and a request that arrives on it is
//   answered (with `Connection: close`). It is closed once it has been idle for
//   `idle_ms_max` since its last answer, counted from that answer rather than from the stop
//   signal, so a pool connection left unused for longer than that closes at once.
// - Whatever is still open at `grace_ms_max` is cut, in the middle of a request or not.
//
// What it cannot close: a client that sends on a connection after more than `idle_ms_max` of
// silence can still cross the close on the wire. HTTP/1.1 has no way to tell an idle client
// in advance; that race is the same one every keep-alive timeout has, and the window makes it
// apply only to clients that were not using the connection.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";

export interface DrainLimits {
  /** An idle connection is closed once this long has passed since its last answer. */
  idle_ms_max: number;
  /** From the stop until every connection left is cut. */
  grace_ms_max: number;
}

/** How often a stop looks for connections whose idle window has run out. */
const CHECK_MS = 10;

/**
 * Tracks every connection of `server` from now on, and stops it with `drain()`. Attach it
 * before the server takes connections.
 */
export class ConnectionDrain {
  private readonly limits: DrainLimits;
  private readonly server: Server;
  /** Each open connection: the answer it is serving, or when its last answer ended. */
  private readonly open = new Map<Socket, ServerResponse | number>();
  private draining = false;

  constructor(server: Server, limits: DrainLimits) {
    if (!(limits.idle_ms_max > 0 && limits.idle_ms_max < limits.grace_ms_max)) {
      throw new Error(
        `the idle window (${limits.idle_ms_max} ms) must be positive and inside the grace (${limits.grace_ms_max} ms)`,
      );
    }
    this.limits = limits;
    this.server = server;
    server.on("connection", (socket: Socket) => {
      this.open.set(socket, performance.now());
      socket.once("close", () => this.open.delete(socket));
    });
    // First among the request listeners, so that it runs before any handler can answer.
    server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.open.set(socket, res);
      if (this.draining) closeAfter(res);
      // An answer that never finishes ends with its socket, whose "close" forgets it.
      res.once("finish", () => {
        this.answered++;
        if (this.open.has(socket)) this.open.set(socket, performance.now());
      });
    });
  }

  /** Answers finished since the server started (lib/http/answer-counter.ts reports them). */
  answered = 0;

  /** True once drain() has been called: every answer from then on closes its connection. */
  get stopping(): boolean {
    return this.draining;
  }

  /**
   * Closes the listener and drains every connection, as the file's header says. Resolves
   * with the number of requests that were still being served at the grace, and were cut.
   */
  async drain(): Promise<number> {
    const started = performance.now();
    this.draining = true;
    for (const state of this.open.values()) if (typeof state !== "number") closeAfter(state);
    // net.Server's close, not http.Server's: that one also closes idle connections at once.
    const closed = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(this.server, () => resolve()),
    );
    const deadline = started + this.limits.grace_ms_max;
    let cut = 0;
    await new Promise<void>((resolve) => {
      const check = () => {
        const now = performance.now();
        for (const [socket, state] of this.open) {
          const idle = typeof state === "number";
          if (idle && now - state >= this.limits.idle_ms_max) socket.destroy();
          else if (now >= deadline) {
            if (!idle) cut++;
            socket.destroy();
          }
        }
        if (this.open.size === 0 || now >= deadline) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(check, CHECK_MS);
      check();
    });
    await closed;
    return cut;
  }
}

/**
 * Makes Node answer with Connection: close and end the connection after this answer. Once
 * the headers are out it is too late; that connection then closes when its idle window ends.
 */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.shouldKeepAlive = false;
}
