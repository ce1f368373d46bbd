//! The notification channels: each channel's kind, where it sends (recipients or the URL's host),
//! why it cannot send if it cannot; create, edit, send a test and delete.
import { Link } from "@tanstack/react-router";
import { CheckCircle2Icon, PencilIcon, PlusIcon, SendIcon, Trash2Icon, TriangleAlertIcon, XCircleIcon } from "lucide-react";
import { useState } from "react";
import { errorMessage } from "@/api/errors";
import type { Channel, Delivery } from "@/api/types";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DataTable, type DataColumn } from "@/components/data-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useDocumentTitle } from "@/hooks/use-document-title";
import { useCan } from "@/lib/auth";
import { useChannels, useDeleteChannel, useTestChannel } from "../api/notifications";
import { CHANNEL_KIND_LABELS } from "../channel-form";
import { ChannelDialog } from "./channel-dialog";

export function ChannelsPage() {
  useDocumentTitle("Notifications");
  const mayMutate = useCan("manage_policies");
  const channels = useChannels();
  const list = {
    ...channels,
    data: channels.data ? { items: channels.data.items, total: channels.data.items.length, per_page: 0 } : undefined,
  };
  const newButton = mayMutate ? (
    <ChannelDialog
      trigger={
        <Button data-testid="new-channel-button">
          <PlusIcon /> New channel
        </Button>
      }
    />
  ) : null;
  return (
    <div className="grid gap-4">
      <PageHeader
        title="Notification channels"
        description="Email, webhooks, Slack and Teams. Policies say which alerts go where."
        actions={
          <>
            <Button variant="outline" asChild>
              <Link to="/notifications/deliveries">Delivery log</Link>
            </Button>
            {newButton}
          </>
        }
      />
      <DataTable
        query={list}
        columns={channelColumns(mayMutate)}
        rowKey={(channel) => channel.id}
        rowProps={(channel) => ({ "data-testid": "channel-row", "data-channel-id": channel.id })}
        testId="channels-table"
        framed
        empty={
          <EmptyState icon={SendIcon} title="No channel yet" action={newButton} data-testid="channels-empty">
            A channel is where alerts are sent: an email list, a signed webhook, or a Slack or Teams channel.
          </EmptyState>
        }
      />
    </div>
  );
}

function channelColumns(mayMutate: boolean): DataColumn<Channel>[] {
  const columns: DataColumn<Channel>[] = [
    {
      header: "Channel",
      fill: true,
      cell: (channel) => (
        <div className="grid min-w-0">
          <span className="truncate font-medium">{channel.name}</span>
          <span className="truncate text-xs text-muted-foreground" data-testid="channel-target">
            {channel.kind === "email" ? channel.config.to.join(", ") : (channel.config.url_hint ?? "no URL")}
            {channel.kind === "webhook" ? (channel.config.has_secret ? " · signed" : " · no secret") : null}
          </span>
          {channel.unusable_reason ? (
            <span className="flex items-center gap-1 text-xs text-destructive" data-testid="channel-unusable">
              <TriangleAlertIcon className="size-3" aria-hidden /> {channel.unusable_reason}
            </span>
          ) : null}
        </div>
      ),
    },
    {
      header: "Kind",
      headerClassName: "w-36",
      cell: (channel) => <Badge variant="outline">{CHANNEL_KIND_LABELS[channel.kind]}</Badge>,
    },
    {
      header: "Templates",
      headerClassName: "w-28",
      className: "text-xs text-muted-foreground",
      cell: (channel) => (channel.subject_template || channel.body_template ? "custom" : "default"),
    },
  ];
  if (mayMutate) {
    columns.push({ header: "Actions", headerClassName: "w-72", cell: (channel) => <ChannelActions channel={channel} /> });
  }
  return columns;
}

function ChannelActions({ channel }: { channel: Channel }) {
  const test = useTestChannel();
  const remove = useDeleteChannel();
  const [outcome, setOutcome] = useState<Delivery | { failure: string } | null>(null);
  const sendTest = async () => {
    setOutcome(null);
    try {
      setOutcome(await test.mutateAsync(channel.id));
    } catch (error) {
      setOutcome({ failure: errorMessage(error) });
    }
  };
  return (
    <div className="grid gap-1">
      <div className="flex items-center gap-1">
        <Button variant="outline" size="sm" onClick={() => void sendTest()} disabled={test.isPending} data-testid="test-channel">
          <SendIcon /> {test.isPending ? "Sending…" : "Send test"}
        </Button>
        <ChannelDialog
          channel={channel}
          trigger={
            <Button variant="ghost" size="icon" aria-label={`Edit ${channel.name}`} data-testid="edit-channel">
              <PencilIcon />
            </Button>
          }
        />
        <ConfirmDialog
          trigger={
            <Button variant="ghost" size="icon" aria-label={`Delete ${channel.name}`} data-testid="delete-channel">
              <Trash2Icon />
            </Button>
          }
          title={`Delete ${channel.name}?`}
          description="Its delivery log goes with it; policies routing to it stop sending there."
          confirmLabel="Delete"
          onConfirm={() => remove.mutateAsync(channel.id)}
        />
      </div>
      {outcome ? <TestOutcome outcome={outcome} /> : null}
    </div>
  );
}

function TestOutcome({ outcome }: { outcome: Delivery | { failure: string } }) {
  if ("failure" in outcome) {
    return (
      <p className="text-xs text-destructive" role="alert" data-testid="test-outcome" data-status="error">
        {outcome.failure}
      </p>
    );
  }
  if (outcome.status === "sent") {
    return (
      <p className="flex items-center gap-1 text-xs text-success" role="status" data-testid="test-outcome" data-status="sent">
        <CheckCircle2Icon className="size-3" aria-hidden /> Test sent.
      </p>
    );
  }
  return (
    <p className="flex items-start gap-1 text-xs text-destructive" role="alert" data-testid="test-outcome" data-status={outcome.status}>
      <XCircleIcon className="mt-0.5 size-3 shrink-0" aria-hidden />
      <span>
        {outcome.status === "failed" ? "Test failed" : "Test not sent yet"}
        {outcome.last_error ? `: ${outcome.last_error}` : "."}
      </span>
    </p>
  );
}
