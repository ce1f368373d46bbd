import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/api/client";
import { unwrap } from "@/api/errors";
import { rootKeys } from "@/api/query-keys";

export const enrollmentRequestKeys = {
  all: rootKeys.enrollmentRequests,
};

/**
 * Machines that enrolled as an existing agent without its credential, waiting for an administrator.
 * Readonly users may not see them (they carry device ids), so the query only runs when `enabled`.
 */
export function useEnrollmentRequests(enabled: boolean) {
  return useQuery({
    queryKey: enrollmentRequestKeys.all,
    queryFn: () => unwrap(api.GET("/api/v1/enrollment-requests")),
    enabled,
    refetchInterval: 60_000,
  });
}

export type EnrollmentDecision = "approve" | "reject";

export function useDecideEnrollmentRequest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, decision }: { id: string; decision: EnrollmentDecision }) =>
      decision === "approve"
        ? unwrap(api.POST("/api/v1/enrollment-requests/{id}/approve", { params: { path: { id } } }))
        : unwrap(api.POST("/api/v1/enrollment-requests/{id}/reject", { params: { path: { id } } })),
    // Approving moves the agent to another site and changes its details and counts.
    onSuccess: () => queryClient.invalidateQueries(),
  });
}
