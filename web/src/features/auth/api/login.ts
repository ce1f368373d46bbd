import { useMutation } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { LoginRequest } from "@/api/types";

export function useLogin() {
  return useMutation({
    mutationFn: (credentials: LoginRequest) => unwrap(api.POST("/api/v1/auth/login", { body: credentials })),
  });
}
