//! Registry operations on one agent. Each is queued as a command of type `registry`
//! (`POST /api/v1/agents/{id}/registry`); its answer is read from the command as it finishes.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import type { RegistryOperation } from "@/api/types";
import { cacheNewCommand, useCommand } from "@/features/commands/api/commands";

/** Queues one operation; the answer is the command, to follow with [`useRegistryCommand`]. */
export function useRegistryOperation(agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (operation: RegistryOperation) =>
      unwrap(api.POST("/api/v1/agents/{id}/registry", { params: { path: { id: agentId } }, body: operation })),
    onSuccess: (command) => cacheNewCommand(queryClient, command),
  });
}

/** One registry command, refetched until it is final (live events refresh it sooner). */
export const useRegistryCommand = useCommand;
