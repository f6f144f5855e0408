"use client";
import { useState, useTransition } from "react";
import {
  createTask,
  deleteTask,
  listTasks,
  toggleTask,
  updateTask,
  type ApiError,
  type Result,
  type Task,
  type TaskPage,
} from "./actions";
import { ErrorArea } from "./error-area";

// One key per task the user means to create, kept until the create succeeds, so a resent form
// (after a time-out, say) cannot make a second task. randomUUID needs a secure context:
// https, or http on localhost/127.0.0.1.
const newKey = () => crypto.randomUUID();

export function TaskBoard({ initial }: { initial: Result<TaskPage> }) {
  const [page, setPage] = useState<TaskPage>(initial.success ? initial.data : { tasks: [], total: 0 });
  const [error, setError] = useState<ApiError | null>(initial.success ? null : initial.error);
  const [createKey, setCreateKey] = useState(newKey);
  const [editing, setEditing] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  // Runs one action, then reloads the list, after a failure too (a write whose answer was lost
  // may have landed, or the task changed elsewhere): the board never shows a stale state.
  function run(action: () => Promise<Result<unknown>>, then?: () => void) {
    startTransition(async () => {
      const outcome = await action();
      if (outcome.success) then?.();
      const reloaded = await listTasks();
      if (reloaded.success) setPage(reloaded.data);
      setError(!outcome.success ? outcome.error : reloaded.success ? null : reloaded.error);
    });
  }

  function create(form: FormData) {
    const input = { title: String(form.get("title")), description: String(form.get("description")) || null };
    run(() => createTask(input, createKey), () => setCreateKey(newKey()));
  }

  function save(task: Task, form: FormData) {
    const input = {
      title: String(form.get("title")),
      description: String(form.get("description")) || null,
      is_completed: task.is_completed,
    };
    run(() => updateTask(task.id, task.updated_at, input), () => setEditing(null));
  }

  return (
    <section aria-busy={pending}>
      <h1>Tasks</h1>
      <form action={create} data-testid="create">
        <input type="text" name="title" placeholder="Title" required />
        <input type="text" name="description" placeholder="Description" />
        <button type="submit">Add</button>
      </form>
      <ErrorArea error={error} />
      <p data-testid="count">{page.total} {page.total === 1 ? "task" : "tasks"}</p>
      <ul data-testid="tasks">
        {page.tasks.map((task) =>
          editing === task.id ? (
            <li key={task.id}>
              <form action={(form) => save(task, form)} data-testid="edit">
                <input type="text" name="title" defaultValue={task.title} required />
                <input type="text" name="description" defaultValue={task.description ?? ""} />
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(null)}>Cancel</button>
              </form>
            </li>
          ) : (
            <li key={task.id} className={task.is_completed ? "done" : ""} data-testid="task">
              <input
                type="checkbox"
                aria-label="Done"
                checked={task.is_completed}
                onChange={() => run(() => toggleTask(task.id, task.updated_at))}
              />
              <span className="title">{task.title}</span>
              <button type="button" onClick={() => setEditing(task.id)}>Edit</button>
              <button type="button" onClick={() => run(() => deleteTask(task.id, task.updated_at))}>
                Delete
              </button>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
