"use server";
// The Next.js guide's recipe (specs/guides/nextjs.md) as running code: server actions that call
// the task API with a Better Auth credential, answer { success, data | error: { code, message,
// status } }, and retry only what the API says is safe to retry. BACKEND_URL is read here, on
// the server; the browser never sees it.
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { SignJWT } from "jose";
import { APIError } from "better-auth/api";
import { auth } from "@/lib/auth";
import { readSessionData } from "@/lib/session-cookie";
import type { components } from "@/lib/api-types";

export type Task = components["schemas"]["TaskPublic"];
type TaskCreate = components["schemas"]["TaskCreate"];
type TaskUpdate = components["schemas"]["TaskUpdate"];
type Problem = components["schemas"]["Problem"];

export type ApiError = { code: string; message: string; status: number };
export type Result<T> = { success: true; data: T } | { success: false; error: ApiError };
export type TaskPage = { tasks: Task[]; total: number };

const FETCH_TIMEOUT_MS = 5_000; // per attempt
const MAX_ATTEMPTS = 3;
const MAX_RETRY_WAIT_MS = 3_000; // a longer Retry-After is waited for only this long

type Credentials = { userId: string; token: string };

// Which credential the API gets (TOKEN_MODE): "plugin" (default) a jwt() plugin token, "cookie"
// the session cookie cache forwarded as it is, "minted" an HS256 token signed here.
async function credentials(): Promise<Credentials | null> {
  const requestHeaders = await headers();
  // returnHeaders: when the cookie cache has expired (maxAge) Better Auth answers with a fresh
  // session_data cookie. In a server action nextCookies() stores it in the browser; a server
  // component cannot set cookies, so there the fresh value serves this request only.
  const { headers: refreshed, response: session } = await auth.api.getSession({
    headers: requestHeaders,
    returnHeaders: true,
  });
  if (!session) return null;
  const userId = session.user.id;
  switch (process.env.TOKEN_MODE ?? "plugin") {
    case "cookie":
      return { userId, token: await sessionCookie(refreshed) };
    case "minted":
      return { userId, token: await mintedToken(userId) };
    default:
      return { userId, token: (await auth.api.getToken({ headers: requestHeaders })).token };
  }
}

// The cookie cache's value under Better Auth's own cookie name (`__Secure-` prefixed over
// HTTPS): the fresh one Better Auth just set, else the browser's (lib/session-cookie.ts).
async function sessionCookie(refreshed: Headers): Promise<string> {
  const fresh = refreshed.getSetCookie().map((line) => {
    const pair = line.split(";", 1)[0];
    const equals = pair.indexOf("=");
    return { name: pair.slice(0, equals), value: pair.slice(equals + 1) };
  });
  const name = (await auth.$context).authCookies.sessionData.name;
  const current = (await cookies()).getAll();
  return readSessionData(fresh, name) ?? readSessionData(current, name) ?? "";
}

// jose signs HS256 with bytes, not a string. The secret is the one Better Auth uses: the first
// of BETTER_AUTH_SECRETS ("2:new,1:old") or BETTER_AUTH_SECRET.
async function mintedToken(userId: string): Promise<string> {
  const { secret } = await auth.$context;
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));
}

function failure(code: string, message: string, status: number): { success: false; error: ApiError } {
  return { success: false, error: { code, message, status } };
}

// How long the API asks us to wait before resending, or null when it did not say a retry is
// safe: 503 with Retry-After (outcome unknown, nothing half-done) and 409 IDEMPOTENCY_KEY_IN_USE
// (the task made with this key was deleted meanwhile: the retry creates it again).
function retryDelayMs(response: Response, problem: Problem | null): number | null {
  const retryable =
    response.status === 503 ||
    (response.status === 409 && problem?.code === "IDEMPOTENCY_KEY_IN_USE");
  const seconds = Number(response.headers.get("Retry-After"));
  if (!retryable || !response.headers.has("Retry-After") || !Number.isFinite(seconds)) return null;
  return Math.min(Math.max(seconds, 0) * 1000, MAX_RETRY_WAIT_MS);
}

async function problemOf(response: Response): Promise<Problem | null> {
  try {
    return (await response.json()) as Problem;
  } catch {
    return null; // not the API's problem+json: a proxy's error page, a cut-off body
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A resent write may find that an earlier attempt landed (spec.md "Retrying writes"): the API
// then answers `status` (a DELETE 404: the task is gone; a toggle or PUT 412: the task changed,
// by that attempt or since), and `settle` gives the outcome instead of an error.
type Landed<T> = { status: number; settle: () => Promise<Result<T>> };

// One API call. Every request this client sends may be resent as it is: reads, a create with
// its Idempotency-Key, writes with If-Match. So an attempt that got no answer (refused, reset,
// timed out) is resent too, with the same key and tags, at most MAX_ATTEMPTS times in all.
async function callApi<T>(
  path: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  read: (response: Response) => Promise<T>,
  landed?: Landed<T>,
): Promise<Result<T>> {
  const backend = process.env.BACKEND_URL;
  if (!backend) return failure("BACKEND_UNAVAILABLE", "BACKEND_URL is not set.", 503);
  const who = await credentials();
  if (!who) return failure("AUTH_FAILED", "Sign in first.", 401);
  const url = `${backend}/api/v1/${encodeURIComponent(who.userId)}/tasks${path}`;
  const requestHeaders = { ...init.headers, Authorization: `Bearer ${who.token}` };
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: requestHeaders,
        cache: "no-store",
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch {
      if (attempt < MAX_ATTEMPTS) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      return failure("BACKEND_UNAVAILABLE", "The task service did not answer.", 503);
    }
    if (response.ok) return { success: true, data: await read(response) };
    if (landed && attempt > 1 && response.status === landed.status) return landed.settle();
    const problem = await problemOf(response);
    const delay = retryDelayMs(response, problem);
    if (delay !== null && attempt < MAX_ATTEMPTS) {
      await sleep(delay);
      continue;
    }
    return failure(
      problem?.code ?? (response.status >= 500 ? "BACKEND_UNAVAILABLE" : "ERROR"),
      problem?.detail ?? response.statusText,
      response.status,
    );
  }
}

const JSON_BODY = { "Content-Type": "application/json" };
const task = (response: Response) => response.json() as Promise<Task>;
const nothing = async () => null;
// The ETag is the task's updated_at exactly as the JSON shows it, so a list item is enough.
const ifMatch = (updatedAt: string) => ({ "If-Match": `"${updatedAt}"` });
// A resent toggle or PUT answered 412: the task as it is now is the outcome (ours landed, or
// someone changed it since); a resent DELETE answered 404: the task is gone, as asked.
const changed = (id: string): Landed<Task> => ({ status: 412, settle: () => getTask(id) });
const gone: Landed<null> = { status: 404, settle: async () => ({ success: true, data: null }) };

export async function listTasks(): Promise<Result<TaskPage>> {
  return callApi("?limit=50", { method: "GET" }, async (response) => ({
    tasks: (await response.json()) as Task[], // newest first
    total: Number(response.headers.get("X-Total-Count")),
  }));
}

// `idempotencyKey` is made once per intended task (by the form) and sent with every attempt.
export async function createTask(input: TaskCreate, idempotencyKey: string): Promise<Result<Task>> {
  return callApi(
    "",
    {
      method: "POST",
      headers: { ...JSON_BODY, "Idempotency-Key": idempotencyKey },
      body: JSON.stringify(input),
    },
    task,
  );
}

async function getTask(id: string): Promise<Result<Task>> {
  return callApi(`/${encodeURIComponent(id)}`, { method: "GET" }, task);
}

// If-Match makes a resent toggle answer 412 instead of flipping the task back.
export async function toggleTask(id: string, updatedAt: string): Promise<Result<Task>> {
  const path = `/${encodeURIComponent(id)}/complete`;
  return callApi(path, { method: "PATCH", headers: ifMatch(updatedAt) }, task, changed(id));
}

export async function updateTask(
  id: string,
  updatedAt: string,
  input: TaskUpdate,
): Promise<Result<Task>> {
  return callApi(
    `/${encodeURIComponent(id)}`,
    { method: "PUT", headers: { ...JSON_BODY, ...ifMatch(updatedAt) }, body: JSON.stringify(input) },
    task,
    changed(id),
  );
}

export async function deleteTask(id: string, updatedAt: string): Promise<Result<null>> {
  const path = `/${encodeURIComponent(id)}`;
  return callApi(path, { method: "DELETE", headers: ifMatch(updatedAt) }, nothing, gone);
}

// Sign-up and sign-in: nextCookies() stores Better Auth's cookies from inside the action.
export async function signUp(_: Result<null> | null, form: FormData): Promise<Result<null>> {
  const body = {
    name: String(form.get("name")),
    email: String(form.get("email")),
    password: String(form.get("password")),
  };
  const outcome = await authCall(async () => auth.api.signUpEmail({ body, headers: await headers() }));
  if (!outcome.success) return outcome;
  redirect("/");
}

export async function signIn(_: Result<null> | null, form: FormData): Promise<Result<null>> {
  const body = { email: String(form.get("email")), password: String(form.get("password")) };
  const outcome = await authCall(async () => auth.api.signInEmail({ body, headers: await headers() }));
  if (!outcome.success) return outcome;
  redirect("/");
}

export async function signOut(): Promise<void> {
  await auth.api.signOut({ headers: await headers() });
  redirect("/");
}

async function authCall(call: () => Promise<unknown>): Promise<Result<null>> {
  try {
    await call();
    return { success: true, data: null };
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    const code = String(error.body?.code ?? error.status);
    return failure(code, error.body?.message ?? error.message, error.statusCode);
  }
}
