"use client";
import { useActionState } from "react";
import { signIn, signUp } from "./actions";
import { ErrorArea } from "./error-area";

export function AuthForms() {
  const [signUpState, signUpAction] = useActionState(signUp, null);
  const [signInState, signInAction] = useActionState(signIn, null);
  const failed = signUpState ?? signInState;
  return (
    <main>
      <h1>Sign up</h1>
      <form action={signUpAction} data-testid="sign-up">
        <input type="text" name="name" placeholder="Name" required />
        <input type="email" name="email" placeholder="Email" required />
        <input type="password" name="password" placeholder="Password (8+)" required />
        <button type="submit">Sign up</button>
      </form>
      <h1>Sign in</h1>
      <form action={signInAction} data-testid="sign-in">
        <input type="email" name="email" placeholder="Email" required />
        <input type="password" name="password" placeholder="Password" required />
        <button type="submit">Sign in</button>
      </form>
      <ErrorArea error={failed?.success === false ? failed.error : null} />
    </main>
  );
}
