/**
 * Every route of the API through the typed client; `tsc --noEmit` checks it
 * against the generated types on every `make test`, so a route whose shape
 * changed breaks the build here before it breaks a frontend.
 *
 * `token` is whatever yields a bearer token; with Better Auth's jwt plugin:
 * `async () => (await authClient.token()).data?.token`.
 */
import {
  createTodoClient,
  etagOf,
  followNext,
  nextLinkOf,
  totalCountOf,
  type Task,
  type TaskStats,
  type TokenSource,
} from "./src/index";

export async function tour(baseUrl: string, userId: string, token: TokenSource): Promise<void> {
  const api = createTodoClient({ baseUrl, token });

  // Health, no token needed.
  const health = await api.GET("/health");
  const ready = await api.GET("/health/ready");
  console.log(health.data?.status, ready.data?.database ?? ready.error?.database);

  // Create (201 with ETag and Location), in the short route shape.
  const created = await api.POST("/api/tasks", {
    body: { title: "Write the report", priority: "high", due_date: "2026-12-01" },
  });
  if (!created.data) {
    throw new Error(`create failed: ${created.response.status} ${JSON.stringify(created.error)}`);
  }
  const task: Task = created.data;
  const taskId = task.id;
  console.log(created.response.headers.get("Location"), etagOf(created.response));

  // List: filters, then every page by following Link.
  const first = await api.GET("/api/tasks", {
    params: { query: { status: ["pending", "in_progress"], sort: "-priority", limit: 20 } },
  });
  const titles = (first.data ?? []).map((t) => t.title);
  console.log(`${titles.length} of ${totalCountOf(first.response)}`);
  for (let link = nextLinkOf(first.response); link; ) {
    const page = await followNext(api, link);
    titles.push(...(page.data ?? []).map((t) => t.title));
    link = nextLinkOf(page.response);
  }

  // Get, and get again only if it changed (304 otherwise).
  const fetched = await api.GET("/api/tasks/{task_id}", {
    params: { path: { task_id: taskId } },
  });
  const etag = etagOf(fetched.response) ?? "*";
  const again = await api.GET("/api/tasks/{task_id}", {
    params: { path: { task_id: taskId }, header: { "If-None-Match": etag } },
  });
  console.log(again.response.status === 304 ? "unchanged" : again.data?.version);

  // Update with If-Match (412 if someone else wrote first); PUT merges like PATCH.
  const patched = await api.PATCH("/api/tasks/{task_id}", {
    params: { path: { task_id: taskId }, header: { "If-Match": etag } },
    body: { description: "Numbers for Q4", status: "in_progress" },
  });
  if (patched.response.status === 412) {
    console.log(patched.error?.detail);
  }
  const put = await api.PUT("/api/tasks/{task_id}", {
    params: { path: { task_id: taskId } },
    body: { description: null, due_date: "" },
  });
  console.log(put.data?.version);

  // Toggle, then explicitly reopen.
  const toggled = await api.PATCH("/api/tasks/{task_id}/complete", {
    params: { path: { task_id: taskId } },
  });
  const reopened = await api.PATCH("/api/tasks/{task_id}/complete", {
    params: { path: { task_id: taskId }, header: { "If-Match": etagOf(toggled.response) ?? "*" } },
    body: { completed: false },
  });
  console.log(toggled.data?.completed_at, reopened.data?.status);

  const stats = await api.GET("/api/tasks/stats");
  const counts: TaskStats | undefined = stats.data;
  console.log(counts?.total, counts?.by_priority.high, counts?.by_tag["work"]);

  // Tags, a weekly task and a reminder; completing it links its next occurrence.
  const weekly = await api.POST("/api/tasks", {
    body: {
      title: "Weekly review",
      tags: ["work", "review"],
      due_date: "2026-12-04T16:00:00Z",
      recurrence: "FREQ=WEEKLY;BYDAY=FR",
      remind_at: "2026-12-04T15:00:00Z",
    },
  });
  const done = await api.PATCH("/api/tasks/{task_id}/complete", {
    params: { path: { task_id: weekly.data?.id ?? "" } },
  });
  console.log(done.data?.next_occurrence_id, done.response.headers.get("Link"));
  const tags = await api.GET("/api/tasks/tags");
  console.log(tags.data?.map((tag) => `${tag.name}: ${tag.count}`));

  // Keep a copy in sync: everything first, then what changed since the token (long poll).
  const everything = await api.GET("/api/tasks/changes");
  const changes = await api.GET("/api/tasks/changes", {
    params: { query: { since: everything.data?.next ?? "", limit: 100, wait: 25 } },
  });
  console.log(changes.data?.changed.length, changes.data?.deleted.length, changes.data?.more);

  // A create that is safe to retry: the same Idempotency-Key never makes a second task.
  const once = await api.POST("/api/tasks", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { title: "Created at most once" },
  });
  console.log(once.response.headers.get("Idempotent-Replayed"));
  const soon = await api.GET("/api/tasks", {
    params: { query: { tag: ["work"], remind_after: "2026-12-04T14:00:00Z", sort: "remind_at" } },
  });
  console.log(soon.data?.length);

  // Delete: 204, then 404.
  const deleted = await api.DELETE("/api/tasks/{task_id}", {
    params: { path: { task_id: taskId } },
  });
  console.log(deleted.response.status);

  // The same routes in the long shape, /api/{user_id}/tasks..., where user_id must be the
  // token's sub (else 403).
  const user_id = userId;
  const mine = await api.POST("/api/{user_id}/tasks", {
    params: { path: { user_id } },
    body: { title: "Call the bank", description: "Before noon", status: "pending" },
  });
  const id = mine.data?.id ?? "";
  const listed = await api.GET("/api/{user_id}/tasks", {
    params: { path: { user_id }, query: { q: "bank", overdue: false, limit: 1 } },
  });
  const next = nextLinkOf(listed.response);
  const more = next ? await followNext(api, next) : undefined;
  console.log(listed.data?.length, more?.data?.length);
  const one = await api.GET("/api/{user_id}/tasks/{task_id}", {
    params: { path: { user_id, task_id: id } },
  });
  await api.PUT("/api/{user_id}/tasks/{task_id}", {
    params: { path: { user_id, task_id: id }, header: { "If-Match": etagOf(one.response) ?? "*" } },
    body: { priority: "low" },
  });
  await api.PATCH("/api/{user_id}/tasks/{task_id}", {
    params: { path: { user_id, task_id: id } },
    body: { title: "Call the bank again" },
  });
  await api.PATCH("/api/{user_id}/tasks/{task_id}/complete", {
    params: { path: { user_id, task_id: id } },
    body: { completed: true },
  });
  const theirStats = await api.GET("/api/{user_id}/tasks/stats", {
    params: { path: { user_id } },
  });
  console.log(theirStats.data?.completed);
  const theirTags = await api.GET("/api/{user_id}/tasks/tags", { params: { path: { user_id } } });
  console.log(theirTags.data?.length);
  const theirChanges = await api.GET("/api/{user_id}/tasks/changes", {
    params: { path: { user_id } },
  });
  console.log(theirChanges.data?.next);
  const gone = await api.DELETE("/api/{user_id}/tasks/{task_id}", {
    params: { path: { user_id, task_id: id }, header: { "If-Match": "*" } },
  });
  console.log(gone.response.status === 204);
}
