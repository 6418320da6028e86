/**
 * A thin typed client of the todo-core API.
 *
 * `schema.d.ts` is generated from the service's `/openapi.json` by
 * openapi-typescript (`make client` regenerates it); calls go through
 * openapi-fetch, so every path, parameter, body and response is checked by
 * the compiler. This file adds only what the document cannot say: the bearer
 * token on every request, and reading the `ETag`, `X-Total-Count` and `Link`
 * headers (following `Link` needs the opaque `cursor`, which is on purpose
 * not a declared parameter).
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

export type Task = components["schemas"]["Task"];
export type TaskCreate = components["schemas"]["TaskCreate"];
export type TaskUpdate = components["schemas"]["TaskUpdate"];
export type TaskCompletion = components["schemas"]["TaskCompletion"];
export type TaskStats = components["schemas"]["TaskStats"];
export type TaskStatus = components["schemas"]["TaskStatus"];
export type TaskPriority = components["schemas"]["TaskPriority"];
export type ListQuery = NonNullable<operations["list_tasks"]["parameters"]["query"]>;

/** The openapi-fetch client over the API's paths. */
export type TodoClient = Client<paths>;

/** A bearer token, or nothing (the request then goes without one and gets a 401). */
export type TokenSource = () => string | null | undefined | Promise<string | null | undefined>;

export interface TodoClientOptions {
  /** Where the API is served, without a trailing slash: `https://api.example.com`. */
  baseUrl: string;
  /**
   * Called before every request. With Better Auth's jwt plugin:
   * `async () => (await authClient.token()).data?.token`, ideally cached until it expires.
   */
  token: TokenSource;
  /** A `fetch` of your own (tests, server components); the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** A client that sends `Authorization: Bearer <token>` with every request. */
export function createTodoClient(options: TodoClientOptions): TodoClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use({
    async onRequest({ request }) {
      const token = await options.token();
      if (token) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      return request;
    },
  });
  return client;
}

/** The `ETag` of a task response (`"<version>"`), to send back as `If-Match` / `If-None-Match`. */
export function etagOf(response: Response): string | null {
  return response.headers.get("ETag");
}

/** `X-Total-Count` of a listing: tasks matching the filters over all pages. */
export function totalCountOf(response: Response): number | null {
  const value = response.headers.get("X-Total-Count");
  return value === null ? null : Number(value);
}

/** The URL of `Link: <...>; rel="next"` (path-absolute), or `null` on the last page. */
export function nextLinkOf(response: Response): string | null {
  const header = response.headers.get("Link");
  if (!header) {
    return null;
  }
  // `<url>; param; ...` entries; the URL may hold commas (`status=pending,in_progress`).
  for (const [, url = "", params = ""] of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rels = params
      .split(";")
      .map((param) => /^\s*rel\s*=\s*"?([^"]*)"?[\s,]*$/i.exec(param)?.[1] ?? "")
      .join(" ")
      .toLowerCase()
      .split(/\s+/);
    if (rels.includes("next")) {
      return url;
    }
  }
  return null;
}

/**
 * The page a `Link: <...>; rel="next"` URL names, through the same client (token included).
 *
 * The link keeps the request's route shape (`/api/tasks` or `/api/{user_id}/tasks`),
 * filters, sort and limit, and adds the `cursor`; its query string is sent as it is.
 */
export function followNext(client: TodoClient, link: string) {
  const url = new URL(link, "http://link.invalid");
  const sendAsIs = () => url.search.replace(/^\?/, "");
  const owner = /^\/api\/([^/]+)\/tasks\/?$/.exec(url.pathname)?.[1];
  if (owner !== undefined && owner !== "tasks") {
    return client.GET("/api/{user_id}/tasks", {
      params: { path: { user_id: decodeURIComponent(owner) } },
      querySerializer: sendAsIs,
    });
  }
  if (/^\/api\/tasks\/?$/.test(url.pathname)) {
    return client.GET("/api/tasks", { querySerializer: sendAsIs });
  }
  throw new Error(`not a link to a task listing: ${link}`);
}
