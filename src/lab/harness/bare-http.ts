// The runtime's own ceiling: a bare node:http server that answers the same bytes as the
// `null` store (one fixed user for a read; a new user, 201, for a write) with nothing between
// Node and the answer: no srvx, no routing table, no validation library. The bench measures
// it beside `null` in the same run, so the report can say what srvx and the app cost over
// Node itself. It is a ceiling, like the fsync probe, not an approach: it keeps nothing.
//
// Started by the harness (server-process.ts) as a process of its own, like the API server,
// and announced the same way: `listening on <url>`.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { countAnswers, reportAnswers } from "../../lib/http/answer-counter.ts";
import { FIXED_USER_JSON, newUser } from "../../lib/user.ts";
import { BARE_NAME } from "./server-process.ts";

const JSON_TYPE = "application/json; charset=utf-8";

function answer(res: ServerResponse, status: number, text: string, location?: string): void {
  const headers: Record<string, string | number> = {
    "content-type": JSON_TYPE,
    "content-length": Buffer.byteLength(text),
  };
  if (location) headers.location = location;
  res.writeHead(status, headers).end(text);
}

/** POST /users: the body parsed, a user made from it, as `null` does after validating. */
function createUser(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    let body: { name?: unknown; email?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return answer(res, 400, '{"error":"request body is not valid JSON"}');
    }
    if (typeof body.name !== "string" || typeof body.email !== "string")
      return answer(res, 400, '{"error":"name and email are required"}');
    const user = newUser(body.name, body.email);
    answer(res, 201, JSON.stringify(user), `/users/${user.id}`);
  });
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "POST" && url === "/users") return createUser(req, res);
  if (req.method === "GET" && url.startsWith("/users/")) return answer(res, 200, FIXED_USER_JSON);
  if (req.method === "GET" && url === "/health")
    return answer(
      res,
      200,
      JSON.stringify({ status: "ok", approach: BARE_NAME, pid: process.pid }),
    );
  answer(res, 404, '{"error":"the bare server answers GET /users/:id and POST /users only"}');
});
reportAnswers(countAnswers(server));
const stop = () => server.close(() => process.exit(0)).closeAllConnections();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  const address = server.address() as { port: number; address: string };
  console.log(`needadb: ${BARE_NAME} listening on http://${address.address}:${address.port}`);
});
