// A typed client for the API the lab measures: every lab tool talks to servers through
// these few calls, so /health has one type and a request one shape.
import { type IncomingHttpHeaders, request } from "node:http";
import type { Health } from "../../app.ts";

export type { Health };

export interface Answer {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * No lab request waits longer than this for its answer, whatever its caller's signal: a
 * store can stop answering for good (PGlite with its disk full spun on its one thread), and
 * a lab tool must then end, and say why, rather than wait with it. NEEDADB_ANSWER_MS_MAX
 * sets it for the test that shows it.
 */
const ANSWER_MS_MAX = Number(process.env.NEEDADB_ANSWER_MS_MAX ?? 60_000);

/**
 * One request on a connection of its own, closed after the answer (`agent: false` sends
 * Connection: close). The lab's own calls then never leave a keep-alive connection open on
 * a server it is about to stop, so the server's drain, which keeps an idle connection open
 * for a while after its last answer, never waits for the lab.
 */
function send(
  url: string,
  method: string,
  body?: string,
  signal?: AbortSignal,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const deadline = AbortSignal.timeout(ANSWER_MS_MAX);
  return new Promise((resolve, reject) => {
    const type = body === undefined ? {} : { "content-type": "application/json" };
    const headers = { ...type, ...extra };
    const any = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const req = request(url, { method, headers, agent: false, signal: any });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", (err) =>
      reject(
        deadline.aborted && !signal?.aborted
          ? new Error(`${method} ${url} had no answer within ${ANSWER_MS_MAX / 1000} s`)
          : err,
      ),
    );
    req.end(body);
  });
}

export async function health(url: string): Promise<Health> {
  const res = await send(`${url}/health`, "GET");
  if (res.status !== 200) throw new Error(`GET ${url}/health answered ${res.status}`);
  return JSON.parse(res.text) as Health;
}

export function get(url: string, path: string, signal?: AbortSignal): Promise<Answer> {
  return send(`${url}${path}`, "GET", undefined, signal);
}

/** POSTs a JSON body (text, sent as it is), with any `headers` besides its Content-Type. */
export function post(
  url: string,
  path: string,
  body: string,
  signal?: AbortSignal,
  headers?: Record<string, string>,
): Promise<Answer> {
  return send(`${url}${path}`, "POST", body, signal, headers);
}

/** A new user's body, unique by `tag`: "<prefix> <tag>" and an address from both. */
export function userBody(prefix: string, tag: string): string {
  return JSON.stringify({
    name: `${prefix} ${tag}`,
    email: `${prefix.toLowerCase()}${tag}@example.com`,
  });
}

/** The id in a 201's body. */
export function createdId(text: string): string {
  return (JSON.parse(text) as { id: string }).id;
}
