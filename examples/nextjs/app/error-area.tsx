import type { ApiError } from "./actions";

// The error's code is what a test (and a person reporting a problem) needs to see.
export function ErrorArea({ error }: { error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid="error">
      <strong>{error.code}</strong> ({error.status}): {error.message}
    </p>
  );
}
