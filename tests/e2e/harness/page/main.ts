// The page a Next.js app would be: Better Auth's client signs users up and in and gets their
// JWTs from /api/auth/token; the typed todo-core client calls the service on its own origin.
// What happens is written into #results as JSON for the test to read.
import { createAuthClient } from "better-auth/client";
import { jwtClient } from "better-auth/client/plugins";
import {
  createTodoClient,
  etagOf,
  followNext,
  nextLinkOf,
  type Task,
  type TodoClient,
  totalCountOf,
} from "@todo-core/client"; // clients/typescript (tsconfig.json paths)

type Results = Record<string, unknown>;

interface User {
  id: string;
  email: string;
  token: string;
}

const PASSWORD = "correct horse battery staple";

const authClient = createAuthClient({
  baseURL: window.location.origin,
  plugins: [jwtClient()],
});

/** Responses the scenario asks for on purpose (403, 404, 412, 401): the only console errors allowed. */
const expectedFailures: { url: string; status: number }[] = [];

function failedOnPurpose(response: Response): number {
  expectedFailures.push({ url: response.url, status: response.status });
  return response.status;
}

function detailOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "detail" in error ? error.detail : error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function decodePart(part: string | undefined): Record<string, unknown> {
  const base64 = (part ?? "").replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(base64)) as Record<string, unknown>;
}

/** What the token says about itself (the signature is the service's business). */
function describeToken(token: string) {
  const [header, payload] = token.split(".");
  const h = decodePart(header);
  const p = decodePart(payload);
  return { alg: h.alg, kid: h.kid, sub: p.sub, iss: p.iss, aud: p.aud, hasExp: typeof p.exp === "number" };
}

/** The JWT of the signed-in user, the way Better Auth's client gets it (GET /api/auth/token). */
async function currentToken(): Promise<string> {
  const { data, error } = await authClient.token();
  if (error || !data) {
    throw new Error(`/api/auth/token failed: ${JSON.stringify(error)}`);
  }
  return data.token;
}

async function signUp(name: string, run: string): Promise<User> {
  const email = `${name}-${run}@example.com`;
  const { data, error } = await authClient.signUp.email({ email, password: PASSWORD, name });
  if (error || !data) {
    throw new Error(`sign-up of ${email} failed: ${JSON.stringify(error)}`);
  }
  return { id: data.user.id, email, token: await currentToken() };
}

function clientFor(api: string, token: () => string): TodoClient {
  return createTodoClient({ baseUrl: api, token });
}

async function tasksScenario(api: string, run: string): Promise<Results> {
  const alice = await signUp("alice", run);
  const aliceApi = clientFor(api, () => alice.token);
  const user_id = alice.id;
  const results: Results = { user: alice.id, token: describeToken(alice.token) };

  const created: Task[] = [];
  const creations = [];
  for (const [title, priority] of [["Write the report", "high"], ["Call the bank", "medium"], ["Book the train", "low"]] as const) {
    const { data, response } = await aliceApi.POST("/api/{user_id}/tasks", {
      params: { path: { user_id } },
      body: { title, priority, due_date: "2030-06-01" },
    });
    if (data) {
      created.push(data);
    }
    creations.push({
      status: response.status,
      etag: etagOf(response),
      location: response.headers.get("Location"),
      owner: data?.user_id,
      version: data?.version,
    });
  }
  results.created = creations;
  const [report, bank] = created;
  if (!report || !bank) {
    return { ...results, error: "tasks were not created" };
  }

  // List two at a time, oldest first, and follow Link to the rest.
  const first = await aliceApi.GET("/api/{user_id}/tasks", {
    params: { path: { user_id }, query: { sort: "created_at", order: "asc", limit: 2 } },
  });
  const next = nextLinkOf(first.response);
  const second = next ? await followNext(aliceApi, next) : undefined;
  results.list = {
    status: first.response.status,
    total: totalCountOf(first.response),
    titles: first.data?.map((t) => t.title),
    next,
    nextStatus: second?.response.status,
    nextTotal: second ? totalCountOf(second.response) : undefined,
    nextTitles: second?.data?.map((t) => t.title),
    nextOfNext: second ? nextLinkOf(second.response) : undefined,
  };

  // Read, then read again conditionally: 304 while nothing changed.
  const path = { user_id, task_id: report.id };
  const read = await aliceApi.GET("/api/{user_id}/tasks/{task_id}", { params: { path } });
  const etag = etagOf(read.response) ?? "";
  const again = await aliceApi.GET("/api/{user_id}/tasks/{task_id}", {
    params: { path, header: { "If-None-Match": etag } },
    cache: "no-store",
  });
  results.read = { status: read.response.status, etag, title: read.data?.title };
  results.readIfNoneMatch = { status: again.response.status, etag: etagOf(again.response) };

  // Update with the ETag read; the same ETag again is stale now: 412.
  const updated = await aliceApi.PATCH("/api/{user_id}/tasks/{task_id}", {
    params: { path, header: { "If-Match": etag } },
    body: { title: "Write the annual report", description: "Numbers first" },
  });
  results.update = {
    status: updated.response.status,
    etag: etagOf(updated.response),
    title: updated.data?.title,
    description: updated.data?.description,
    version: updated.data?.version,
  };
  const stale = await aliceApi.PATCH("/api/{user_id}/tasks/{task_id}", {
    params: { path, header: { "If-Match": etag } },
    body: { title: "Lost update" },
  });
  results.staleUpdate = { status: failedOnPurpose(stale.response), detail: detailOf(stale.error) };

  // Toggle complete with the current ETag.
  const toggled = await aliceApi.PATCH("/api/{user_id}/tasks/{task_id}/complete", {
    params: { path, header: { "If-Match": etagOf(updated.response) ?? "" } },
  });
  results.toggle = {
    status: toggled.response.status,
    etag: etagOf(toggled.response),
    completed: toggled.data?.completed,
    taskStatus: toggled.data?.status,
    completedAtSet: typeof toggled.data?.completed_at === "string",
  };

  // Delete another one; it is gone afterwards.
  const bankPath = { user_id, task_id: bank.id };
  const deleted = await aliceApi.DELETE("/api/{user_id}/tasks/{task_id}", { params: { path: bankPath } });
  const gone = await aliceApi.GET("/api/{user_id}/tasks/{task_id}", { params: { path: bankPath } });
  results.delete = { status: deleted.response.status };
  results.readDeleted = { status: failedOnPurpose(gone.response), detail: detailOf(gone.error) };

  const stats = await aliceApi.GET("/api/tasks/stats");
  results.stats = { status: stats.response.status, total: stats.data?.total, completed: stats.data?.completed };

  // A second user (signing up signs them in): 403 on Alice's path, 404 on her task.
  const bob = await signUp("bob", run);
  const bobApi = clientFor(api, () => bob.token);
  const onAlicePath = await bobApi.GET("/api/{user_id}/tasks", { params: { path: { user_id } } });
  const onAliceTask = await bobApi.GET("/api/{user_id}/tasks/{task_id}", {
    params: { path: { user_id: bob.id, task_id: report.id } },
  });
  const bobsOwn = await bobApi.GET("/api/tasks");
  results.secondUser = {
    differentUser: bob.id !== alice.id,
    tokenSubIsUser: describeToken(bob.token).sub === bob.id,
    alicePath: { status: failedOnPurpose(onAlicePath.response), detail: detailOf(onAlicePath.error) },
    aliceTask: { status: failedOnPurpose(onAliceTask.response), detail: detailOf(onAliceTask.error) },
    ownList: { status: bobsOwn.response.status, total: totalCountOf(bobsOwn.response) },
  };

  // Alice signs in again: a new session, a new token, the same user and tasks.
  const signIn = await authClient.signIn.email({ email: alice.email, password: PASSWORD });
  const aliceAgain = await currentToken();
  const listed = await clientFor(api, () => aliceAgain).GET("/api/tasks");
  results.signIn = {
    signedIn: signIn.data?.user.id === alice.id,
    tokenSubIsUser: describeToken(aliceAgain).sub === alice.id,
    status: listed.response.status,
    total: totalCountOf(listed.response),
  };
  return results;
}

async function rotationScenario(api: string, run: string): Promise<Results> {
  const alice = await signUp("rotating", run);
  const before = alice.token;
  const results: Results = { user: alice.id, tokenBefore: describeToken(before) };

  // The service's first verification fetches the key set.
  const firstUse = Date.now();
  const listed = await clientFor(api, () => before).GET("/api/tasks");
  results.firstUse = { status: listed.response.status };

  // Better Auth mints a new key once the current one expired (jwks.rotationInterval).
  let after = await currentToken();
  const mintDeadline = Date.now() + 30_000;
  while (describeToken(after).kid === describeToken(before).kid && Date.now() < mintDeadline) {
    await sleep(500);
    after = await currentToken();
  }
  results.tokenAfter = describeToken(after);
  const published = await authClient.jwks();
  results.publishedKids = (published.data?.keys ?? []).map((key: { kid?: unknown }) => key.kid);

  // The old token keeps working (its key is cached, and still published).
  const old = await clientFor(api, () => before).GET("/api/tasks");
  results.oldTokenAfterRotation = { status: old.response.status };

  // The new kid is unknown to the service until it fetches the key set again, which it does
  // at most once per 30 s (counting the first fetch): retry until then, and a little longer.
  const statuses: number[] = [];
  const retryDeadline = firstUse + 50_000;
  let accepted: number | null = null;
  for (;;) {
    const attempt = await clientFor(api, () => after).GET("/api/tasks");
    const status = attempt.response.status;
    statuses.push(status === 401 ? failedOnPurpose(attempt.response) : status);
    if (status !== 401 || Date.now() > retryDeadline) {
      accepted = status === 200 ? Math.round((Date.now() - firstUse) / 1000) : null;
      break;
    }
    await sleep(1_000);
  }
  results.newToken = { statuses, acceptedAfterSeconds: accepted };
  const oldAgain = await clientFor(api, () => before).GET("/api/tasks");
  results.oldTokenAfterRefetch = { status: oldAgain.response.status };
  return results;
}

const SCENARIOS: Record<string, (api: string, run: string) => Promise<Results>> = {
  tasks: tasksScenario,
  rotation: rotationScenario,
};

async function main(): Promise<void> {
  const query = new URLSearchParams(window.location.search);
  const name = query.get("scenario") ?? "";
  const api = query.get("api") ?? "";
  const run = query.get("run") ?? crypto.randomUUID().slice(0, 8);
  const scenario = SCENARIOS[name];
  let outcome: Results;
  try {
    if (!scenario || !api) {
      throw new Error(`usage: ?scenario=${Object.keys(SCENARIOS).join("|")}&api=<service URL>`);
    }
    outcome = { scenario: name, results: await scenario(api, run) };
  } catch (error) {
    outcome = { scenario: name, error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) };
  }
  outcome.expectedFailures = expectedFailures;
  const pre = document.getElementById("results");
  if (pre) {
    pre.textContent = JSON.stringify(outcome, null, 2);
    pre.dataset.done = "true";
  }
}

void main();
