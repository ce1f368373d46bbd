//! A form that proves an action of the user's own with their password (turning the authenticator app
//! off, removing a security key): the typed password, the problem shown on its field (none typed, or
//! the server's 422 naming `password`) and any other failure.
import { useState, type FormEvent } from "react";
import { ApiError, errorMessage } from "@/api/errors";
import { fieldProblemFromServer } from "./password-form";

export function usePasswordProof(act: (password: string) => Promise<void>) {
  const [password, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const reset = () => {
    setTyped("");
    setProblem(null);
    setFailure(null);
  };

  const setPassword = (value: string) => {
    setTyped(value);
    setProblem(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    if (password === "") {
      setProblem("Enter your password.");
      return;
    }
    try {
      await act(password);
    } catch (error) {
      const placed =
        error instanceof ApiError && error.status === 422 ? fieldProblemFromServer(error.message, { password: "password" }) : null;
      if (placed) setProblem(placed.message);
      else setFailure(errorMessage(error));
    }
  };

  return { password, setPassword, problem, failure, reset, submit };
}
