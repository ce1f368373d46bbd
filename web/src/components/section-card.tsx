//! A card with a small title (and optionally a description and actions beside it) above its content:
//! the sections of the policy editor, an agent's effective policy and the policy cards.
import type { ReactNode } from "react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";

export function SectionCard({
  title,
  description,
  actions,
  contentClassName,
  children,
  "data-testid": testId,
}: {
  title: ReactNode;
  description?: ReactNode;
  /** Buttons at the header's right. */
  actions?: ReactNode;
  contentClassName?: string;
  children: ReactNode;
  "data-testid"?: string;
}) {
  return (
    <Card data-testid={testId}>
      <CardHeader className={actions ? "flex flex-row items-start justify-between gap-2 max-sm:flex-wrap" : undefined}>
        <div className="grid gap-1">
          <CardTitle className="flex items-center gap-2 text-sm">{title}</CardTitle>
          {description ? <CardDescription>{description}</CardDescription> : null}
        </div>
        {actions}
      </CardHeader>
      <CardContent className={contentClassName}>{children}</CardContent>
    </Card>
  );
}
