//! A policy's notification routes: inherited (none set here) or its own list, each a channel, the
//! least severity it gets and whether it hears of resolutions.
import { BellRingIcon, PlusIcon, Trash2Icon } from "lucide-react";
import type { ReactNode } from "react";
import type { NotifyRoute, Severity } from "@/api/types";
import { SectionCard } from "@/components/section-card";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Switch } from "@/components/ui/switch";
import { SEVERITIES, SEVERITY_LABELS } from "@/lib/monitoring";
import { usePickChannels } from "../api/policies";
import { LIMITS } from "../policy-form";

export function NotifyRoutesCard({
  routes,
  onChange,
  readOnly,
  error,
}: {
  /** Null: inherited from less specific policies. */
  routes: NotifyRoute[] | null;
  onChange: (routes: NotifyRoute[] | null) => void;
  readOnly: boolean;
  error: ReactNode;
}) {
  const channels = usePickChannels(true);
  const items = channels.data?.items ?? [];
  const nameOf = (id: string) => items.find((channel) => channel.id === id)?.name;
  const update = (index: number, change: Partial<NotifyRoute>) =>
    onChange((routes ?? []).map((route, at) => (at === index ? { ...route, ...change } : route)));
  return (
    <SectionCard
      title="Notifications"
      data-testid="policy-notify"
      actions={
        readOnly ? null : (
          <label className="flex items-center gap-2 text-xs">
            <Switch
              checked={routes !== null}
              onCheckedChange={(own) => onChange(own ? [] : null)}
              data-testid="notify-own-routes"
              aria-label="Set routes in this policy"
            />
            Set routes here
          </label>
        )
      }
    >
      <div className="grid gap-2">
        {routes === null ? (
          <p className="text-sm text-muted-foreground" data-testid="notify-inherited">
            Inherited: alerts go where a less specific policy routes them. Routes set here replace those.
          </p>
        ) : (
          <>
            {routes.length === 0 ? (
              <p className="text-sm text-muted-foreground">
                No route: alerts of these agents are not notified (inherited routes are replaced).
              </p>
            ) : (
              <ul className="grid divide-y rounded-md border">
                {routes.map((route, index) => (
                  <li key={index} className="flex flex-wrap items-center gap-2 px-3 py-2" data-testid="notify-route">
                    <BellRingIcon className="size-4 text-muted-foreground" aria-hidden />
                    <Select value={route.channel_id} onValueChange={(channel_id) => update(index, { channel_id })} disabled={readOnly}>
                      <SelectTrigger className="w-56" aria-label={`Channel of route ${index + 1}`} data-testid="notify-channel">
                        <SelectValue placeholder={channels.isPending ? "Loading channels…" : "Pick a channel"} />
                      </SelectTrigger>
                      <SelectContent>
                        {items.map((channel) => (
                          <SelectItem key={channel.id} value={channel.id}>
                            {channel.name}
                          </SelectItem>
                        ))}
                        {route.channel_id && !channels.isPending && !nameOf(route.channel_id) ? (
                          <SelectItem value={route.channel_id}>Unknown channel</SelectItem>
                        ) : null}
                      </SelectContent>
                    </Select>
                    <Select
                      value={route.min_severity ?? "info"}
                      onValueChange={(severity) => update(index, { min_severity: severity as Severity })}
                      disabled={readOnly}
                    >
                      <SelectTrigger className="w-40" aria-label={`Least severity of route ${index + 1}`} data-testid="notify-severity">
                        <SelectValue />
                      </SelectTrigger>
                      <SelectContent>
                        {[...SEVERITIES].reverse().map((severity) => (
                          <SelectItem key={severity} value={severity}>
                            {SEVERITY_LABELS[severity]} and up
                          </SelectItem>
                        ))}
                      </SelectContent>
                    </Select>
                    <label className="flex items-center gap-2 text-xs">
                      <Switch
                        checked={route.on_resolve ?? false}
                        onCheckedChange={(on_resolve) => update(index, { on_resolve })}
                        disabled={readOnly}
                        data-testid="notify-on-resolve"
                      />
                      Also when resolved
                    </label>
                    {readOnly ? null : (
                      <Button
                        type="button"
                        variant="ghost"
                        size="icon"
                        className="ml-auto"
                        aria-label={`Remove route ${index + 1}`}
                        onClick={() => onChange(routes.filter((_, at) => at !== index))}
                      >
                        <Trash2Icon />
                      </Button>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {readOnly ? null : (
              <div>
                <Button
                  type="button"
                  size="sm"
                  variant="outline"
                  disabled={routes.length >= LIMITS.notifyRoutes}
                  onClick={() =>
                    onChange([
                      ...routes,
                      { channel_id: items.length === 1 ? (items[0]?.id ?? "") : "", min_severity: "warning", on_resolve: true },
                    ])
                  }
                  data-testid="add-notify-route"
                >
                  <PlusIcon /> Add route
                </Button>
                {!channels.isPending && items.length === 0 ? (
                  <span className="ml-2 text-xs text-muted-foreground">No notification channel yet: create one under Notifications.</span>
                ) : null}
              </div>
            )}
          </>
        )}
        {error}
      </div>
    </SectionCard>
  );
}
