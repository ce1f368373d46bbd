import { useMutation } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { LoginRequest } from "@/api/types";

export function useLogin() {
  return useMutation({
    // A browser session: the token goes into an HttpOnly cookie, never into the page.
    mutationFn: (credentials: Omit<LoginRequest, "cookie">) =>
      unwrap(api.POST("/api/v1/auth/login", { body: { ...credentials, cookie: true } })),
  });
}
