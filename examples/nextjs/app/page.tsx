import { headers } from "next/headers";
import { auth } from "@/lib/auth";
import { listTasks, signOut } from "./actions";
import { AuthForms } from "./auth-forms";
import { TaskBoard } from "./task-board";

export default async function Home() {
  const session = await auth.api.getSession({ headers: await headers() });
  if (!session) return <AuthForms />;
  return (
    <main>
      <form action={signOut}>
        <span data-testid="user">{session.user.email}</span>
        <button type="submit">Sign out</button>
      </form>
      <TaskBoard initial={await listTasks()} />
    </main>
  );
}
