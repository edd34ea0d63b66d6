// A typed client for the API the lab measures: every lab tool talks to servers through
// these few calls, so /health has one type and a request one shape.
import type { Health } from "../../app.ts";

export type { Health };

export interface Answer {
  status: number;
  text: string;
}

export async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`);
  if (res.status !== 200) throw new Error(`GET ${url}/health answered ${res.status}`);
  return (await res.json()) as Health;
}

export async function get(url: string, path: string): Promise<Answer> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, text: await res.text() };
}

/** POSTs a JSON body (text, sent as it is). */
export async function post(
  url: string,
  path: string,
  body: string,
  signal?: AbortSignal,
): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal,
  });
  return { status: res.status, text: await res.text() };
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
