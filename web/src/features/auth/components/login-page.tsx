import { useState, type FormEvent } from "react";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { errorMessage } from "@/api/errors";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { useAuthActions } from "@/lib/auth";
import { useLogin } from "../api/login";

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useLogin();
  useDocumentTitle("Sign in");
  const { completeLogin } = useAuthActions();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate(
      { email: email.trim(), password },
      {
        onSuccess: (response) => {
          completeLogin(response);
          onLoggedIn();
        },
      },
    );
  };

  return (
    <div className="flex min-h-svh items-center justify-center bg-muted/40 p-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2">
          <img src="/favicon.svg" alt="" className="size-7" />
          <span className="text-xl font-semibold tracking-tight">GuruRMM</span>
        </div>
        <Card>
          <CardContent className="pt-5 pb-5">
            <form onSubmit={submit} className="grid gap-4" aria-label="Sign in">
              <h1 className="text-base font-semibold">Sign in to your dashboard</h1>
              <div className="grid gap-1.5">
                <Label htmlFor="login-email">Email</Label>
                <Input
                  id="login-email"
                  type="email"
                  autoComplete="username"
                  required
                  autoFocus
                  value={email}
                  onChange={(event) => setEmail(event.target.value)}
                />
              </div>
              <div className="grid gap-1.5">
                <Label htmlFor="login-password">Password</Label>
                <Input
                  id="login-password"
                  type="password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(event) => setPassword(event.target.value)}
                />
              </div>
              {login.isError ? (
                <p role="alert" data-testid="login-error" className="rounded-md bg-destructive/10 px-3 py-2 text-sm text-destructive">
                  {errorMessage(login.error)}
                </p>
              ) : null}
              <Button type="submit" disabled={login.isPending} className="w-full">
                {login.isPending ? "Signing in…" : "Sign in"}
              </Button>
            </form>
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
